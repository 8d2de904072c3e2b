//! Facts about the host as a whole: identity, uptime and boot, taint, crash
//! records.

use schemars::JsonSchema;
use serde::Serialize;

use super::Fact;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Host {
    pub hostname: Fact<String>,
    pub kernel_release: Fact<String>,
    pub uptime_seconds: Fact<f64>,
    /// The kernel's random id of this boot (`kernel.random.boot_id`): two
    /// snapshots with the same id were read between the same two reboots,
    /// so their counters (carrier changes, errors) can be subtracted.
    pub boot_id: Fact<String>,
    pub taint: Fact<Taint>,
    /// Crash records the kernel left in pstore (and those systemd-pstore
    /// archived): a host that panicked shows it here after the reboot.
    pub pstore: Fact<Vec<PstoreRecord>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Taint {
    /// The raw value of `kernel.tainted`.
    pub mask: u64,
    pub flags: Vec<TaintFlag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TaintFlag {
    pub bit: u32,
    /// The letter the kernel prints in "Tainted:" lines; `?` for a bit this
    /// version of hostlint does not know.
    pub letter: char,
    pub meaning: &'static str,
}

/// The kernel's taint bits (Documentation/admin-guide/tainted-kernels.rst).
const TAINT_BITS: &[(char, &str)] = &[
    ('P', "proprietary module was loaded"),
    ('F', "module was force loaded"),
    ('S', "kernel running on an out of specification system"),
    ('R', "module was force unloaded"),
    ('M', "processor reported a Machine Check Exception"),
    ('B', "bad page referenced or unexpected page flags"),
    ('U', "taint requested by userspace"),
    ('D', "kernel died recently (OOPS or BUG)"),
    ('A', "ACPI table overridden by user"),
    ('W', "kernel issued a warning"),
    ('C', "staging driver was loaded"),
    ('I', "workaround for a platform firmware bug applied"),
    ('O', "externally-built (out-of-tree) module was loaded"),
    ('E', "unsigned module was loaded"),
    ('L', "soft lockup occurred"),
    ('K', "kernel has been live patched"),
    ('X', "auxiliary taint, defined for and used by distros"),
    ('T', "kernel was built with the struct randomization plugin"),
    ('N', "an in-kernel test has been run"),
    ('J', "userspace used a mutating debug operation in fwctl"),
];

impl Taint {
    pub fn from_mask(mask: u64) -> Taint {
        let flags = (0..64)
            .filter(|bit| mask & (1u64 << bit) != 0)
            .map(|bit| {
                let (letter, meaning) = TAINT_BITS
                    .get(bit as usize)
                    .copied()
                    .unwrap_or(('?', "taint bit unknown to hostlint"));
                TaintFlag {
                    bit,
                    letter,
                    meaning,
                }
            })
            .collect();
        Taint { mask, flags }
    }

    /// The letters of the set flags, as the kernel prints them: `"GW"` style
    /// without the placeholders.
    pub fn letters(&self) -> String {
        self.flags.iter().map(|f| f.letter).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PstoreRecord {
    /// Where the record lives, relative to the root.
    pub path: String,
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_taint_letters_are_the_kernel_bits() {
        let letters: Vec<String> = TAINT_BITS.iter().map(|(c, _)| c.to_string()).collect();
        assert_eq!(letters, super::super::values::TAINT_LETTERS.words);
    }

    #[test]
    fn taint_letters_follow_kernel_bits() {
        // W (9) + O (12) + E (13): a typical out-of-tree-driver host.
        let t = Taint::from_mask((1 << 9) | (1 << 12) | (1 << 13));
        assert_eq!(t.letters(), "WOE");
        assert_eq!(t.flags[0].bit, 9);
        assert_eq!(Taint::from_mask(0).flags.len(), 0);
        assert_eq!(Taint::from_mask(1 << 40).letters(), "?");
    }
}
