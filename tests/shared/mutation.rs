//! What the robustness tests (tests/robustness.rs) and the fuzz harness
//! (tests/fuzz/) both feed the parsers: a deterministic generator, the
//! plain byte mutations, and the kernel replies no fixture holds. Two test
//! binaries include this one file (`#[path]`), so that they mutate alike.

/// A small deterministic generator (xorshift64*): the same seed gives the
/// same cases, every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A copy of `data` changed by mutation `how` (taken modulo 4): cut short,
/// bits flipped, random bytes inserted, or a slice of it repeated.
pub fn mutate_bytes(rng: &mut Rng, data: &[u8], how: usize) -> Vec<u8> {
    let mut m = data.to_vec();
    match how % 4 {
        0 => m.truncate(rng.below(data.len() + 1)),
        1 => {
            for _ in 0..1 + rng.below(4) {
                if !m.is_empty() {
                    let at = rng.below(m.len());
                    m[at] ^= 1 << rng.below(8);
                }
            }
        }
        2 => {
            let at = rng.below(m.len() + 1);
            let junk: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.next() as u8).collect();
            m.splice(at..at, junk);
        }
        _ => {
            if !m.is_empty() {
                let a = rng.below(m.len());
                let b = a + rng.below(m.len() - a);
                let slice = m[a..b].to_vec();
                let at = rng.below(m.len() + 1);
                m.splice(at..at, slice);
            }
        }
    }
    m
}

/// A DM_TABLE_STATUS reply as the kernel lays it out: struct dm_ioctl (312
/// bytes), then one dm_target_spec of a two-group multipath map and its
/// parameters.
pub fn dm_multipath_status_reply() -> Vec<u8> {
    let params = b"2 0 1 0 2 1 A 0 1 2 8:96 A 0 0 1 E 0 1 2 8:112 A 0 0 1\0";
    let mut spec = Vec::new();
    spec.extend_from_slice(&0u64.to_ne_bytes());
    spec.extend_from_slice(&209_715_200u64.to_ne_bytes());
    spec.extend_from_slice(&0i32.to_ne_bytes());
    spec.extend_from_slice(&0u32.to_ne_bytes());
    let mut kind = [0u8; 16];
    kind[..9].copy_from_slice(b"multipath");
    spec.extend_from_slice(&kind);
    spec.extend_from_slice(params);
    let mut reply = vec![0u8; 312];
    reply[16..20].copy_from_slice(&312u32.to_ne_bytes());
    reply[12..16].copy_from_slice(&((312 + spec.len()) as u32).to_ne_bytes());
    reply[20..24].copy_from_slice(&1u32.to_ne_bytes());
    reply.extend_from_slice(&spec);
    reply
}

/// A DM_LIST_DEVICES payload naming one map, mpatha (253:3).
pub fn dm_name_list() -> Vec<u8> {
    let mut list = Vec::new();
    list.extend_from_slice(&((253u64 << 8) | 3).to_ne_bytes());
    list.extend_from_slice(&0u32.to_ne_bytes());
    list.extend_from_slice(b"mpatha\0\0\0\0\0\0");
    list
}
