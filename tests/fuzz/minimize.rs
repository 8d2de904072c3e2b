//! Shrinking a case that found something, while it still finds the same
//! thing: edits dropped one by one, then each written file cut down by
//! halves, lines and bytes, within a budget of runs.

use crate::case::{Bytes, Case, Op};

pub struct Budget {
    pub runs: usize,
}

impl Budget {
    fn spend(&mut self) -> bool {
        if self.runs == 0 {
            return false;
        }
        self.runs -= 1;
        true
    }
}

/// Cuts `data` down while `fails` holds: chunks of halving size removed,
/// first on line boundaries when it is text, then anywhere.
fn shrink(data: &[u8], budget: &mut Budget, fails: &mut dyn FnMut(&[u8]) -> bool) -> Vec<u8> {
    let mut cur = data.to_vec();
    for by_lines in [true, false] {
        let units = |d: &[u8]| -> Vec<(usize, usize)> {
            if by_lines {
                let mut out = Vec::new();
                let mut start = 0;
                for (i, b) in d.iter().enumerate() {
                    if *b == b'\n' {
                        out.push((start, i + 1));
                        start = i + 1;
                    }
                }
                if start < d.len() {
                    out.push((start, d.len()));
                }
                out
            } else {
                (0..d.len()).map(|i| (i, i + 1)).collect()
            }
        };
        let mut chunk = units(&cur).len().div_ceil(2).max(1);
        loop {
            let u = units(&cur);
            if u.is_empty() {
                break;
            }
            let mut i = 0;
            let mut progressed = false;
            while i < u.len() {
                let end = (i + chunk).min(u.len());
                let mut candidate = cur[..u[i].0].to_vec();
                candidate.extend_from_slice(&cur[u[end - 1].1..]);
                if !budget.spend() {
                    return cur;
                }
                if fails(&candidate) {
                    cur = candidate;
                    progressed = true;
                    break;
                }
                i = end;
            }
            if progressed {
                continue;
            }
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
        // Byte by byte only for what is short by now.
        if cur.len() > 4096 {
            break;
        }
    }
    cur
}

pub fn minimize(case: &Case, budget: &mut Budget, fails: &mut dyn FnMut(&Case) -> bool) -> Case {
    let mut cur = case.clone();
    // Edits that do not matter go.
    let mut i = cur.ops.len();
    while i > 0 {
        i -= 1;
        if cur.ops.len() == 1 || !budget.spend() {
            break;
        }
        let mut candidate = cur.clone();
        candidate.ops.remove(i);
        if fails(&candidate) {
            cur = candidate;
        }
    }
    // A second policy that does not matter goes.
    while cur.policies.len() > 1 && budget.spend() {
        let mut candidate = cur.clone();
        candidate.policies.pop();
        if fails(&candidate) {
            cur = candidate;
        } else {
            break;
        }
    }
    // Then each edit's content.
    for i in 0..cur.ops.len() {
        match cur.ops[i].clone() {
            Op::Write { path, bytes } => {
                let data = bytes.to_vec();
                let small = shrink(&data, budget, &mut |d: &[u8]| {
                    let mut candidate = cur.clone();
                    candidate.ops[i] = Op::Write {
                        path: path.clone(),
                        bytes: Bytes::of(d),
                    };
                    fails(&candidate)
                });
                cur.ops[i] = Op::Write {
                    path,
                    bytes: Bytes::of(&small),
                };
            }
            Op::Many {
                path,
                prefix,
                mut count,
                bytes,
            } => {
                while count > 1 && budget.spend() {
                    let mut candidate = cur.clone();
                    candidate.ops[i] = Op::Many {
                        path: path.clone(),
                        prefix: prefix.clone(),
                        count: count / 2,
                        bytes: bytes.clone(),
                    };
                    if !fails(&candidate) {
                        break;
                    }
                    count /= 2;
                    cur = candidate;
                }
            }
            _ => {}
        }
    }
    cur
}
