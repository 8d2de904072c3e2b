//! `Fact<T>`: a value that was read, or the reason it could not be.
//!
//! hostlint never invents a value: a speed that the driver does not report is
//! not 0, a carrier that could not be read is not "down". Every fact that can
//! be missing is a `Fact`, and the reason travels with it into JSON and tables.

use serde::ser::{Serialize, SerializeMap, Serializer};

/// Why a fact has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// The driver, device kind or kernel does not provide it.
    NotSupported,
    /// The link is down, so the kernel has nothing to report (speed, duplex).
    LinkDown,
    /// Reading it needs privileges this run does not have.
    Permission,
    /// The read did not finish within the deadline.
    Timeout,
    /// The fixture being read does not contain it.
    NotCaptured,
    /// The file or object it lives in does not exist.
    Absent,
    /// It was read but could not be understood.
    Malformed,
    /// It is larger than hostlint reads (a limit far above any real host's,
    /// so a file past it is damaged, endless or not what it seems).
    TooLarge,
    /// Any other read error.
    Failed,
    /// The daemon that holds it is not running (lldpd for LLDP
    /// neighbours): nothing can be said, not even "none".
    NotRunning,
    /// A counter went back since the previous run (a reboot, a driver
    /// reload, a wrap): no rate can be worked out from it.
    Reset,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotSupported => "not_supported",
            Reason::LinkDown => "link_down",
            Reason::Permission => "permission",
            Reason::Timeout => "timeout",
            Reason::NotCaptured => "not_captured",
            Reason::Absent => "absent",
            Reason::Malformed => "malformed",
            Reason::TooLarge => "too_large",
            Reason::Failed => "failed",
            Reason::NotRunning => "not_running",
            Reason::Reset => "reset",
        }
    }

    /// The reason an I/O error stands for. ENOENT is `Absent` here; callers
    /// that know better (a fixture, a link that is down) map it themselves.
    pub fn from_io(err: &std::io::Error) -> Reason {
        use std::io::ErrorKind;
        match err.kind() {
            ErrorKind::NotFound => Reason::Absent,
            ErrorKind::PermissionDenied => Reason::Permission,
            ErrorKind::TimedOut => Reason::Timeout,
            ErrorKind::InvalidData => Reason::Malformed,
            ErrorKind::FileTooLarge => Reason::TooLarge,
            ErrorKind::Unsupported => Reason::NotSupported,
            // ENODEV is not among them: the device is not there (gone
            // mid-read, detached by PCIe error recovery), which is a fault
            // to report, not hardware without the feature, which a
            // selector leaves out.
            _ => match err.raw_os_error() {
                Some(libc::EOPNOTSUPP) | Some(libc::ENOTTY) => Reason::NotSupported,
                Some(libc::EPERM) | Some(libc::EACCES) => Reason::Permission,
                _ => Reason::Failed,
            },
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reason with the detail an operator needs to act on it: which file, which
/// request, which error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub reason: Reason,
    pub detail: String,
}

impl Missing {
    pub fn new(reason: Reason, detail: impl Into<String>) -> Missing {
        Missing {
            reason,
            detail: detail.into(),
        }
    }

    /// An I/O error on `what` (a path or a request name).
    pub fn io(what: &str, err: &std::io::Error) -> Missing {
        Missing::new(Reason::from_io(err), format!("{what}: {}", io_text(err)))
    }
}

/// An I/O error as the system words it (`Input/output error`), without
/// Rust's "(os error 5)" after it.
pub fn io_text(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.reason, self.detail)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Fact<T> {
    Known(T),
    Unknown(Missing),
}

impl<T> Fact<T> {
    pub fn unknown(reason: Reason, detail: impl Into<String>) -> Fact<T> {
        Fact::Unknown(Missing::new(reason, detail))
    }

    pub fn known(&self) -> Option<&T> {
        match self {
            Fact::Known(v) => Some(v),
            Fact::Unknown(_) => None,
        }
    }

    pub fn missing(&self) -> Option<&Missing> {
        match self {
            Fact::Known(_) => None,
            Fact::Unknown(m) => Some(m),
        }
    }

    pub fn as_ref(&self) -> Fact<&T> {
        match self {
            Fact::Known(v) => Fact::Known(v),
            Fact::Unknown(m) => Fact::Unknown(m.clone()),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fact<U> {
        match self {
            Fact::Known(v) => Fact::Known(f(v)),
            Fact::Unknown(m) => Fact::Unknown(m),
        }
    }

    pub fn and_then<U>(self, f: impl FnOnce(T) -> Fact<U>) -> Fact<U> {
        match self {
            Fact::Known(v) => f(v),
            Fact::Unknown(m) => Fact::Unknown(m),
        }
    }
}

impl<T> From<Result<T, Missing>> for Fact<T> {
    fn from(r: Result<T, Missing>) -> Fact<T> {
        match r {
            Ok(v) => Fact::Known(v),
            Err(m) => Fact::Unknown(m),
        }
    }
}

/// A known fact serializes as its bare value, so consumers of the JSON read
/// `"speed_mbps": 10000`; an unknown one as an object that cannot be mistaken
/// for a value: `{"unknown": "link_down", "detail": "..."}`.
impl<T: Serialize> Serialize for Fact<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Fact::Known(v) => v.serialize(s),
            Fact::Unknown(m) => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("unknown", m.reason.as_str())?;
                map.serialize_entry("detail", &m.detail)?;
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_serializes_with_reason_not_a_value() {
        let f: Fact<u32> = Fact::unknown(Reason::LinkDown, "eth0 has no carrier");
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"unknown":"link_down","detail":"eth0 has no carrier"}"#
        );
        assert_eq!(serde_json::to_string(&Fact::Known(0u32)).unwrap(), "0");
    }

    #[test]
    fn io_errors_map_to_reasons() {
        let e = std::io::Error::from_raw_os_error(libc::EOPNOTSUPP);
        assert_eq!(Reason::from_io(&e), Reason::NotSupported);
        let e = std::io::Error::from_raw_os_error(libc::EACCES);
        assert_eq!(Reason::from_io(&e), Reason::Permission);
        let e = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(Reason::from_io(&e), Reason::Absent);
        let e = std::io::Error::from_raw_os_error(libc::EIO);
        assert_eq!(Reason::from_io(&e), Reason::Failed);
        let e = std::io::Error::from_raw_os_error(libc::ENODEV);
        assert_eq!(Reason::from_io(&e), Reason::Failed);
        let e = std::io::Error::new(std::io::ErrorKind::FileTooLarge, "proc/mounts: too large");
        assert_eq!(Reason::from_io(&e), Reason::TooLarge);
    }
}
