//! A small deterministic generator (SplitMix64): the bounded runner must replay a failure
//! from its seed alone, whatever a random-number crate's next version does.

/// SplitMix64 with the helpers the generators use.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        // the modulo bias is irrelevant here
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True `num` times in `den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den < num
    }

    /// Any byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64().to_le_bytes()[0]
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A number in `lo..=hi`.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.wrapping_sub(lo) as u64;
        if span == u64::MAX {
            return self.next_u64() as i64;
        }
        lo.wrapping_add((self.next_u64() % (span + 1)) as i64)
    }

    /// A number with a bias to boundaries: 0, ±1, the edges of i32/i64, or small.
    pub fn edgy(&mut self) -> i64 {
        match self.below(8) {
            0 => *self.pick(&[
                0,
                1,
                -1,
                i64::from(i32::MAX),
                i64::from(i32::MIN),
                i64::MAX,
                i64::MIN,
            ]),
            1 => self.next_u64() as i64,
            _ => self.int(0, 100_000),
        }
    }

    /// Text of up to `max` characters from a mix of ASCII, Spanish letters, markup and odd code
    /// points (never a surrogate: Rust strings cannot hold one).
    pub fn text(&mut self, max: usize) -> String {
        let n = self.below(max + 1);
        let mut s = String::with_capacity(n);
        for _ in 0..n {
            let c = match self.below(10) {
                0..=4 => char::from(b'a' + (self.below(26) as u8)),
                5 => char::from(b'0' + (self.below(10) as u8)),
                6 => *self.pick(&[' ', '.', '-', '_', '/', ':', '@', '+', '#', '*']),
                7 => *self.pick(&['ñ', 'Ñ', 'á', 'é', 'ü', '¦', '…', '€', '😀', '\u{a0}']),
                8 => *self.pick(&[
                    '<', '>', '&', '"', '\'', '=', '|', '\\', '{', '}', '\t', '\n', '\r',
                ]),
                _ => char::from_u32(self.int(1, 0x10_ffff) as u32).unwrap_or('?'),
            };
            s.push(c);
        }
        s
    }

    /// Letters and digits only, up to `max`.
    pub fn word(&mut self, max: usize) -> String {
        let n = 1 + self.below(max.max(1));
        (0..n)
            .map(|_| {
                let c = self.below(36) as u8;
                char::from(if c < 26 { b'a' + c } else { b'0' + c - 26 })
            })
            .collect()
    }
}
