//! Small programs an integrator copies from; see `src/bin/`.
