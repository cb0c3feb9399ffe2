//! Uniform randomness: the [`RandomSource`] trait, the production [`SystemRandomSource`], and the exact uniform
//! integers and rational Bernoulli trials every sampler is built from.
//!
//! Nothing here rounds: a uniform integer below `n` comes from rejection sampling over the smallest power of two
//! at least `n` (no modulo bias), and a Bernoulli(`p/q`) trial is "a uniform integer below `q` is below `p`".

use ring::rand::{SecureRandom, SystemRandom};

use crate::NoiseError;

/// Every sampling loop in this crate gives up after this many rounds and returns [`NoiseError::Randomness`].
///
/// Each loop continues with probability at most 0.684 per round when the source is uniform (the discrete Laplace
/// loop is the worst: it accepts with probability at least (1 - 1/e)/2), so a working source reaches the limit
/// with probability below 0.684^1000 < 2^-500. A source stuck on one value reaches it at once instead of hanging.
/// Conditioned on no error, every sample is exactly distributed.
pub(crate) const LOOP_LIMIT: u32 = 1000;

/// A source of independent, uniformly distributed bytes.
///
/// Production code uses [`SystemRandomSource`]. Tests may implement this with a seeded generator to make
/// statistical checks reproducible; a seeded source must never be used for a real release.
pub trait RandomSource {
    /// Fills `buf` with uniform random bytes, or reports why it cannot.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), NoiseError>;
}

/// Bytes fetched from the operating system per refill: one system call serves about fifty samples.
const SYSTEM_BUFFER_BYTES: usize = 512;

/// The operating system's cryptographically secure generator (`ring::rand::SystemRandom`), read in blocks of
/// 512 bytes. Handed-out bytes are zeroed in the buffer, so the buffer never holds used randomness.
pub struct SystemRandomSource {
    rng: SystemRandom,
    buffer: [u8; SYSTEM_BUFFER_BYTES],
    /// Bytes before this index have been handed out (and zeroed).
    next: usize,
}

impl SystemRandomSource {
    /// A source with an empty buffer; the first draw reads from the operating system.
    pub fn new() -> Self {
        SystemRandomSource {
            rng: SystemRandom::new(),
            buffer: [0; SYSTEM_BUFFER_BYTES],
            next: SYSTEM_BUFFER_BYTES,
        }
    }
}

impl Default for SystemRandomSource {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for SystemRandomSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The buffered bytes are future noise: never print them.
        f.debug_struct("SystemRandomSource")
            .field("buffered", &(SYSTEM_BUFFER_BYTES - self.next))
            .finish()
    }
}

impl RandomSource for SystemRandomSource {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), NoiseError> {
        let mut written = 0;
        while written < buf.len() {
            if self.next == SYSTEM_BUFFER_BYTES {
                self.rng.fill(&mut self.buffer).map_err(|_| {
                    NoiseError::Randomness(
                        "the operating system's random number generator returned an error".into(),
                    )
                })?;
                self.next = 0;
            }
            let n = (buf.len() - written).min(SYSTEM_BUFFER_BYTES - self.next);
            let taken = &mut self.buffer[self.next..self.next + n];
            buf[written..written + n].copy_from_slice(taken);
            taken.fill(0);
            self.next += n;
            written += n;
        }
        Ok(())
    }
}

/// A uniform integer in `[0, n)`, by rejection: draw just enough bytes to cover `n - 1`, mask off the excess bits,
/// retry when the result is `n` or more (probability below 1/2 per draw). `n = 0` is an error.
pub fn uniform_below<R: RandomSource + ?Sized>(rng: &mut R, n: u128) -> Result<u128, NoiseError> {
    if n == 0 {
        return Err(NoiseError::invalid(
            "n",
            0,
            "a uniform integer in [0, n) needs n >= 1",
        ));
    }
    if n == 1 {
        return Ok(0);
    }
    let bits = u128::BITS - (n - 1).leading_zeros();
    let bytes = bits.div_ceil(8) as usize;
    let mask = u128::MAX >> (u128::BITS - bits);
    let mut buf = [0u8; 16];
    for _ in 0..LOOP_LIMIT {
        // Little-endian: the bytes drawn are the low ones; the rest stay zero.
        rng.fill(&mut buf[..bytes])?;
        let v = u128::from_le_bytes(buf) & mask;
        if v < n {
            return Ok(v);
        }
    }
    Err(loop_limit("uniform integer"))
}

/// One fair coin.
pub(crate) fn coin<R: RandomSource + ?Sized>(rng: &mut R) -> Result<bool, NoiseError> {
    let mut b = [0u8; 1];
    rng.fill(&mut b)?;
    Ok(b[0] & 1 == 1)
}

/// Bernoulli(`numer / denom`), `numer <= denom`, `denom >= 1`.
pub(crate) fn bernoulli<R: RandomSource + ?Sized>(
    rng: &mut R,
    numer: u128,
    denom: u128,
) -> Result<bool, NoiseError> {
    if numer == 0 {
        return Ok(false);
    }
    Ok(uniform_below(rng, denom)? < numer)
}

pub(crate) fn loop_limit(what: &str) -> NoiseError {
    NoiseError::Randomness(format!(
        "{what}: sampling loop passed {LOOP_LIMIT} rounds, which a uniform source does with probability below \
         2^-500; the source is not uniform"
    ))
}

#[cfg(test)]
pub(crate) mod test_source {
    use rand_chacha::ChaCha12Rng;
    use rand_chacha::rand_core::{RngCore, SeedableRng};

    use super::RandomSource;
    use crate::NoiseError;

    /// Seeded, for reproducible unit tests.
    pub(crate) struct Seeded(ChaCha12Rng);

    impl Seeded {
        pub(crate) fn new(seed: u64) -> Self {
            Seeded(ChaCha12Rng::seed_from_u64(seed))
        }
    }

    impl RandomSource for Seeded {
        fn fill(&mut self, buf: &mut [u8]) -> Result<(), NoiseError> {
            self.0.fill_bytes(buf);
            Ok(())
        }
    }

    /// Always the same byte: a broken source.
    pub(crate) struct Stuck(pub(crate) u8);

    impl RandomSource for Stuck {
        fn fill(&mut self, buf: &mut [u8]) -> Result<(), NoiseError> {
            buf.fill(self.0);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::test_source::{Seeded, Stuck};
    use super::*;

    #[test]
    fn uniform_below_covers_the_range_evenly() {
        // n = 3 needs 2 bits, so 1 in 4 draws is rejected; a biased reduction (mod 3 of a byte) would favour 0.
        let mut rng = Seeded::new(1);
        let draws = 60_000u32;
        let mut counts = [0u32; 3];
        for _ in 0..draws {
            counts[uniform_below(&mut rng, 3).unwrap() as usize] += 1;
        }
        // Each count is Binomial(draws, 1/3): standard deviation sqrt(draws * 2/9) ≈ 115; allow 5 of them.
        let expected = f64::from(draws) / 3.0;
        let band = 5.0 * (f64::from(draws) * 2.0 / 9.0).sqrt();
        for c in counts {
            assert!((f64::from(c) - expected).abs() < band, "{counts:?}");
        }
    }

    #[test]
    fn uniform_below_edges() {
        let mut rng = Seeded::new(2);
        assert_eq!(uniform_below(&mut rng, 1).unwrap(), 0);
        for n in [2u128, 255, 256, 257, u128::from(u64::MAX), u128::MAX] {
            for _ in 0..100 {
                assert!(uniform_below(&mut rng, n).unwrap() < n);
            }
        }
        assert!(matches!(
            uniform_below(&mut rng, 0),
            Err(NoiseError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn stuck_source_hits_the_loop_limit_instead_of_hanging() {
        // 0xFF masked to 2 bits is 3, never below 3.
        assert!(matches!(
            uniform_below(&mut Stuck(0xFF), 3),
            Err(NoiseError::Randomness(_))
        ));
    }

    #[test]
    fn system_source_fills_across_refills() {
        let mut rng = SystemRandomSource::new();
        let mut big = vec![0u8; 3 * SYSTEM_BUFFER_BYTES + 7];
        rng.fill(&mut big).unwrap();
        // 1543 zero bytes in a row from a working generator has probability 2^-12344.
        assert!(big.iter().any(|&b| b != 0));
        assert!(!format!("{rng:?}").is_empty());
    }
}
