//! New cases: a target, and edits of its inputs made by the mutators.

use crate::case::{Bytes, Case, Op, Target};
use crate::mutate::{self, Rng};
use crate::seeds::{Corpus, Tree};
use crate::targets::PARSERS;

/// How often each target is chosen, out of 100: parsers are cheap and
/// many; whole pipelines are dearer and find what parsers alone cannot.
const WEIGHTS: &[(Target, usize)] = &[
    (Target::Parse, 34),
    (Target::Show, 18),
    (Target::Audit, 18),
    (Target::Diff, 10),
    (Target::Policy, 8),
    (Target::Archive, 6),
    (Target::Capture, 6),
];

fn pick_target(rng: &mut Rng, only: Option<Target>) -> Target {
    if let Some(t) = only {
        return t;
    }
    let mut n = rng.below(100);
    for (t, w) in WEIGHTS {
        if n < *w {
            return *t;
        }
        n -= w;
    }
    Target::Show
}

pub fn case(rng: &mut Rng, corpus: &Corpus, only: Option<Target>) -> Case {
    let target = pick_target(rng, only);
    let mut c = Case {
        target,
        tree: String::new(),
        parser: String::new(),
        policies: Vec::new(),
        ops: Vec::new(),
        found: String::new(),
    };
    match target {
        Target::Parse => {
            let (parser, seed) = rng.pick(&corpus.parser_seeds);
            let parser = if rng.one_in(50) {
                rng.pick(PARSERS)
            } else {
                parser
            };
            c.parser = (*parser).to_owned();
            let input = if rng.one_in(20) {
                (0..rng.count(512)).map(|_| rng.next() as u8).collect()
            } else {
                mutate::mutate(rng, seed, false)
            };
            c.ops.push(write("etc/input", &input));
        }
        Target::Policy => {
            c.policies = pick_policies(rng, corpus);
            policy_ops(rng, corpus, &c.policies, &mut c.ops);
        }
        Target::Archive => {
            let small: Vec<&Tree> = corpus.trees.iter().filter(|t| t.tar.is_some()).collect();
            let tree = rng.pick(&small);
            c.tree = tree.name.clone();
            let tar = tree.tar.as_deref().unwrap_or_default();
            let mut m = mutate::tar(rng, tar);
            if rng.one_in(3) {
                m = mutate::tar(rng, &m);
            }
            c.ops.push(write("etc/capture.tar", &m));
        }
        Target::Show | Target::Diff | Target::Capture | Target::Audit => {
            let tree = rng.pick(&corpus.trees);
            c.tree = tree.name.clone();
            tree_ops(rng, tree, &mut c.ops);
            if matches!(target, Target::Audit | Target::Diff) {
                c.policies = pick_policies(rng, corpus);
                if rng.one_in(3) {
                    policy_ops(rng, corpus, &c.policies, &mut c.ops);
                }
            }
            if target == Target::Audit {
                state_ops(rng, corpus, tree, &mut c.ops);
            }
        }
    }
    c
}

/// A file of a tree as a seed: a regular file only (the source trees are
/// read in place, and a FIFO there would block the harness).
fn seed_bytes(path: &std::path::Path) -> Vec<u8> {
    hostlint::source::bounded::read_regular(path, 1 << 20, "a seed").unwrap_or_default()
}

fn write(path: &str, bytes: &[u8]) -> Op {
    Op::Write {
        path: path.to_owned(),
        bytes: Bytes::of(bytes),
    }
}

fn pick_policies(rng: &mut Rng, corpus: &Corpus) -> Vec<String> {
    let names: Vec<&String> = corpus.policies.keys().collect();
    let mut out = vec![(*rng.pick(&names)).clone()];
    if rng.one_in(3) {
        let other = (*rng.pick(&names)).clone();
        if !out.contains(&other) {
            out.push(other);
        }
    }
    out
}

/// Edits of the policies: their text mutated, or an include of something
/// that is not a policy file at all.
fn policy_ops(rng: &mut Rng, corpus: &Corpus, chosen: &[String], ops: &mut Vec<Op>) {
    let name = rng.pick(chosen).clone();
    let seed = corpus.policies.get(&name).cloned().unwrap_or_default();
    let path = format!("etc/{name}");
    match rng.below(12) {
        0 => {
            let (target, extra) = match rng.below(7) {
                0 => (
                    "fifo.yaml",
                    Some(Op::Fifo {
                        path: "etc/fifo.yaml".into(),
                    }),
                ),
                1 => ("/dev/zero", None),
                2 => (".", None),
                3 => (
                    "huge.yaml",
                    Some(Op::Sparse {
                        path: "etc/huge.yaml".into(),
                        len: 2 << 20,
                    }),
                ),
                4 => (name.as_str(), None),
                5 => (
                    "sub",
                    Some(Op::Mkdir {
                        path: "etc/sub".into(),
                    }),
                ),
                _ => ("missing.yaml", None),
            };
            ops.extend(extra);
            let mut text = seed.clone();
            text.extend_from_slice(format!("\ninclude: {target}\n").as_bytes());
            ops.push(write(&path, &text));
        }
        1 => ops.push(match rng.below(3) {
            0 => Op::Fifo { path },
            1 => Op::Mkdir { path },
            _ => Op::Sparse {
                path,
                len: *rng.pick(&[0u64, (1 << 20) + 1, 64 << 20]),
            },
        }),
        _ => ops.push(write(&path, &mutate::mutate(rng, &seed, true))),
    }
}

fn state_ops(rng: &mut Rng, corpus: &Corpus, tree: &Tree, ops: &mut Vec<Op>) {
    let path = "etc/state.json".to_owned();
    let seed = tree
        .state
        .clone()
        .or_else(|| corpus.trees.iter().find_map(|t| t.state.clone()));
    match (rng.below(10), seed) {
        (0..=2, _) | (_, None) => {}
        (3, _) => ops.push(match rng.below(3) {
            0 => Op::Fifo { path },
            1 => Op::Mkdir { path },
            _ => Op::Sparse {
                path,
                len: (16 << 20) + 1,
            },
        }),
        (4, Some(s)) => ops.push(write(&path, &s)),
        (_, Some(s)) => ops.push(write(&path, &mutate::mutate(rng, &s, false))),
    }
}

/// Edits of a tree, most of them to what collecting it reads.
fn tree_ops(rng: &mut Rng, tree: &Tree, ops: &mut Vec<Op>) {
    let mut files: Vec<&String> = tree.reads.files.iter().collect();
    let has_manifest = tree.work.join("manifest.json").is_file();
    let manifest = "manifest.json".to_owned();
    if has_manifest {
        files.push(&manifest);
    }
    let links: Vec<&String> = tree.reads.symlinks.iter().collect();
    let dirs: Vec<&String> = tree.reads.dirs.iter().collect();
    if files.is_empty() {
        return;
    }
    for _ in 0..1 + rng.below(3) {
        let file = (*rng.pick(&files)).clone();
        let at = format!("tree/{file}");
        match rng.below(100) {
            0..=71 => {
                let seed = seed_bytes(&tree.pristine.join(&file));
                ops.push(write(&at, &mutate::mutate(rng, &seed, false)));
            }
            72..=76 => ops.push(Op::Remove { path: at }),
            77..=80 => {
                let other = rng.pick(&files);
                let target = match rng.below(6) {
                    0 => format!("/{other}"),
                    1 => "..".to_owned(),
                    2 => "/".to_owned(),
                    3 => file.rsplit('/').next().unwrap_or("x").to_owned(),
                    4 => "nowhere".to_owned(),
                    _ => "../../../../../../../../..".to_owned(),
                };
                ops.push(Op::Symlink { path: at, target });
            }
            81..=84 if !links.is_empty() => {
                let link = rng.pick(&links);
                let target = match rng.below(3) {
                    0 if !dirs.is_empty() => format!("/{}", rng.pick(&dirs)),
                    1 => "../../../../nowhere".to_owned(),
                    _ => (*link).clone().rsplit('/').next().unwrap_or("x").to_owned(),
                };
                ops.push(Op::Symlink {
                    path: format!("tree/{link}"),
                    target,
                });
            }
            85..=87 => ops.push(Op::Mkdir { path: at }),
            88..=89 => ops.push(Op::Fifo { path: at }),
            90..=91 => ops.push(Op::Sparse {
                path: at,
                len: *rng.pick(&[0u64, (64 << 20) + 1, 5 << 20]),
            }),
            _ if !dirs.is_empty() => {
                let dir = rng.pick(&dirs);
                let donor = seed_bytes(&tree.pristine.join(rng.pick(&files)));
                ops.push(Op::Many {
                    path: format!("tree/{dir}"),
                    prefix: (*rng.pick(&["x", "eth", "sd", "host", "md", "dm-", "nvme", " ", "é"]))
                        .to_owned(),
                    count: rng.count(3000),
                    bytes: Bytes::of(&donor[..donor.len().min(4096)]),
                });
            }
            _ => {}
        }
    }
}
