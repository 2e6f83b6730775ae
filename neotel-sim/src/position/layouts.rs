//! The two layouts: which keys a `Position` string carries, in the platform's order.
//! Both are built from the runs they share, so a key fixed in one is fixed in both.

/// The first keys of both layouts: the position and its user.
const IDENTITY_KEYS: [&str; 6] = ["DEVICE", "IP", "PORT", "STATUS", "SERVER", "USUARIO"];

/// The call's numbers and its contact, the same run in both layouts.
const CALL_KEYS: [&str; 16] = [
    "DNIS",
    "ANI",
    "TELEFONO",
    "ANI_TELEFONO_ULT",
    "TIPO_LLAMADA",
    "TIPO_LLAMADA_ULT",
    "ORIGEN_LLAMADA",
    "ORIGEN_LLAMADA_ULT",
    "DIRECCION",
    "DIRECCION_ULT",
    "CRM",
    "BASE",
    "IDCONTACTO",
    "DATA",
    "CLAVE",
    "CAMPO_BUSQUEDA",
];

/// The call's ids, conference, recording and outbound campaign: both layouts end so.
const TAIL_KEYS: [&str; 10] = [
    "IDLLAMADA",
    "IDLLAMADA_ULT",
    "CONFERENCIA",
    "GRABANDO",
    "GRABACION",
    "TELEFONO_DESVIO",
    "SAL_TIPO_DISCADOR",
    "SAL_CRM",
    "SAL_BASE",
    "CANALES_ASOCIADOS",
];

/// The 52 keys of current installs, in the platform's order.
pub const KEYS_52: [&str; 52] = concat(&[
    &IDENTITY_KEYS,
    &[
        "INICIO_LOGIN",
        "SAL_CAMPAÑA_DEFAULT",
        "INICIO_LOGIN_CAMPAÑA",
        "CHANNEL",
        "SUB_ESTADO",
        "SUB_ESTADO_ULT",
        "RINGING",
        "DIALING",
        "AGENT",
        "TIEMPO_LLAMADA",
        "SUBTIPO_DESCANSO",
        "INICIO_DESCANSO",
        "TIEMPO_DESCANSO",
        "ESTADO_CRM",
        "INICIO_CRM",
        "CAMPAÑA",
        "CAMPAÑA_ULT",
        "COLA",
        "COLA_ULT",
    ],
    &CALL_KEYS,
    &["IDAGENDA"],
    &TAIL_KEYS,
]);

/// The 44 keys of older installs (2014), in the platform's order.
pub const KEYS_44: [&str; 44] = concat(&[
    &IDENTITY_KEYS,
    &[
        "SAL_CAMPAÑA_DEFAULT",
        "SUBTIPO_DESCANSO",
        "ESTADO_CRM",
        "TIEMPO_LOGIN",
        "TIEMPO_LLAMADA",
        "CHANNEL",
        "CAMPAÑA",
        "CAMPAÑA_ULT",
        "COLA",
        "COLA_ULT",
        "SUB_ESTADO",
        "SUB_ESTADO_ULT",
    ],
    &CALL_KEYS,
    &TAIL_KEYS,
]);

/// Every key of either layout, once: the current layout's, in its order, then the one key
/// only older installs write (`TIEMPO_LOGIN`). For tools that take any real `Position`.
pub const KEYS_ANY: [&str; 53] = union(&KEYS_52, &KEYS_44);

/// The runs of a layout joined, at compile time; a count that does not add up to `N`
/// fails the build.
const fn concat<const N: usize>(runs: &[&[&'static str]]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut at = 0;
    let mut r = 0;
    while r < runs.len() {
        let mut i = 0;
        while i < runs[r].len() {
            out[at] = runs[r][i];
            at += 1;
            i += 1;
        }
        r += 1;
    }
    assert!(at == N, "a layout's runs must add up to its key count");
    out
}

/// The keys of `a`, then those of `b` that `a` lacks, at compile time; a count that does not
/// add up to `N` fails the build.
const fn union<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut at = 0;
    while at < a.len() {
        out[at] = a[at];
        at += 1;
    }
    let mut i = 0;
    while i < b.len() {
        let mut j = 0;
        while j < a.len() && !same(a[j], b[i]) {
            j += 1;
        }
        if j == a.len() {
            out[at] = b[i];
            at += 1;
        }
        i += 1;
    }
    assert!(at == N, "the union's count must be its key count");
    out
}

/// `a == b`, in a `const fn` (`str`'s `==` is not one).
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
