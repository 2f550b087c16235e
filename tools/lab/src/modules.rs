// SPDX-License-Identifier: GPL-2.0
//! The lab's modules, found rather than listed: every crate root `src/NAME.rs`
//! is a module of the suite (`src/Kbuild` builds each one; a root whose name
//! ends in `_kunit` only on a kernel with `CONFIG_KUNIT=y`). What a module
//! offers is read from the built `.ko`'s `.modinfo` section, which the
//! module's own `module!` block wrote: its parameters, and each parameter's
//! allowed range, from the `(allowed MIN..=MAX)` at the end of its
//! description, the same text the module's range check is compiled from.
//! Crate roots that are no modules of the suite (compile-fail cases,
//! exercises) live under `tests/`, never in `src/`.

use std::path::{Path, PathBuf};

use object::{Object, ObjectSection};

use crate::Error;

/// One parameter, as `modinfo` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub ty: String,
    pub description: String,
    /// The allowed range its description states.
    pub range: Option<(i64, i64)>,
    /// Whether its description says that not every number in the range is a value it takes
    /// (a schedule, say, whose digits must name the load's threads).
    pub sparse: bool,
}

/// One built module.
#[derive(Debug, Clone)]
pub struct Module {
    pub name: String,
    pub path: PathBuf,
    /// Every `key=value` of its `.modinfo`, in order.
    pub info: Vec<(String, String)>,
    pub params: Vec<Param>,
    /// How many KUnit suites it runs as it loads (its `.kunit_test_suites`
    /// section holds one pointer per suite).
    pub kunit_suites: usize,
}

impl Module {
    /// Reads the `.modinfo` section of a `.ko`.
    pub fn read(path: &Path) -> Result<Module, Error> {
        let data = std::fs::read(path)
            .map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
        let file = object::File::parse(&*data)
            .map_err(|e| Error::new(format!("{} is not an ELF object: {e}", path.display())))?;
        let section = file
            .section_by_name(".modinfo")
            .ok_or_else(|| Error::new(format!("{} has no .modinfo section", path.display())))?;
        let bytes = section
            .data()
            .map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
        let info = parse_modinfo(bytes);
        let name = info
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| {
                path.file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            });
        let params = params_of(&info);
        let kunit_suites = file
            .section_by_name(".kunit_test_suites")
            .map_or(0, |s| s.size() as usize / std::mem::size_of::<u64>());
        Ok(Module {
            name,
            path: path.to_path_buf(),
            info,
            params,
            kunit_suites,
        })
    }

    /// The first value of a `.modinfo` key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.info
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// A module of the lab's harness: it has the `fixed` parameter.
    pub fn has_fixed(&self) -> bool {
        self.param("fixed").is_some()
    }
}

fn parse_modinfo(bytes: &[u8]) -> Vec<(String, String)> {
    bytes
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .filter_map(|s| {
            let s = String::from_utf8_lossy(s);
            let (k, v) = s.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

fn params_of(info: &[(String, String)]) -> Vec<Param> {
    let mut params: Vec<Param> = Vec::new();
    for (k, v) in info {
        let Some((name, rest)) = v.split_once(':') else {
            continue;
        };
        match k.as_str() {
            "parm" => params.push(Param {
                name: name.to_string(),
                ty: String::new(),
                description: rest.to_string(),
                range: allowed_range(rest),
                sparse: rest.contains(SPARSE),
            }),
            "parmtype" => {}
            _ => continue,
        }
    }
    for (k, v) in info {
        if k != "parmtype" {
            continue;
        }
        if let Some((name, ty)) = v.split_once(':') {
            if let Some(p) = params.iter_mut().find(|p| p.name == name) {
                p.ty = ty.to_string();
            }
        }
    }
    params
}

/// What a description says of a parameter whose range holds numbers it does not take.
pub const SPARSE: &str = "not every number in the range is";

/// The range in a description's `(allowed MIN..=MAX)`.
pub fn allowed_range(description: &str) -> Option<(i64, i64)> {
    let at = description.rfind("(allowed ")?;
    let inner = description[at + "(allowed ".len()..].split(')').next()?;
    let (lo, hi) = inner.split_once("..=")?;
    Some((lo.trim().parse().ok()?, hi.trim().parse().ok()?))
}

/// The crate roots of `src/`: the modules of the suite, by name.
pub fn crate_roots(src: &Path) -> Result<Vec<String>, Error> {
    let mut names: Vec<String> = std::fs::read_dir(src)
        .map_err(|e| Error::new(format!("cannot read {}: {e}", src.display())))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".rs")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    Ok(names)
}

/// What the lab built, from which the scenarios' placeholders, the guest's
/// module lists and the parameter checks are derived.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Every built module of the suite, in name order.
    pub modules: Vec<Module>,
}

/// The placeholders a check name or a log fact may hold.
const PLACEHOLDERS: [&str; 6] = ["module", "param", "min", "max", "below", "above"];

/// One way to fill a text's placeholders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Binding(Vec<(&'static str, String)>);

impl Binding {
    /// `text` with each `{NAME}` of the binding replaced.
    pub fn apply(&self, text: &str) -> String {
        let mut s = text.to_string();
        for (k, v) in &self.0 {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        s
    }
}

impl Facts {
    /// The modules built from `src/` into `ko_dir`. A crate root without its
    /// `.ko` is an error, except a KUnit one on a kernel without KUnit.
    pub fn gather(src: &Path, ko_dir: &Path, kunit: bool) -> Result<Facts, Error> {
        let mut facts = Facts::default();
        for name in crate_roots(src)? {
            if name.ends_with("_kunit") && !kunit {
                continue;
            }
            let ko = ko_dir.join(format!("{name}.ko"));
            if !ko.is_file() {
                return Err(Error::new(format!(
                    "src/{name}.rs has no built module {}",
                    ko.display()
                ))
                .hint("run: make modules"));
            }
            facts.modules.push(Module::read(&ko)?);
        }
        Ok(facts)
    }

    pub fn module(&self, name: &str) -> Option<&Module> {
        self.modules.iter().find(|m| m.name == name)
    }

    /// The modules of the lab's harness, which every sweep covers.
    pub fn harness_modules(&self) -> impl Iterator<Item = &Module> {
        self.modules.iter().filter(|m| m.has_fixed())
    }

    /// The ways to fill the placeholders of `text`: one per harness module
    /// for `{module}`; one per ranged parameter of each for `{param}` (with
    /// `{min}`, `{max}`, `{below}` = min - 1 and `{above}` = max + 1); a
    /// single empty one for a text without placeholders.
    pub fn bindings(&self, text: &str) -> Result<Vec<Binding>, String> {
        let word = regex::Regex::new(r"\{([a-z_]+)\}").expect("a valid pattern");
        let mut used = Vec::new();
        for c in word.captures_iter(text) {
            let name = c.get(1).map_or("", |m| m.as_str());
            if !PLACEHOLDERS.contains(&name) {
                return Err(format!(
                    "{text:?}: unknown placeholder {{{name}}} (use {})",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                ));
            }
            used.push(name);
        }
        if used.is_empty() {
            return Ok(vec![Binding::default()]);
        }
        let per_param = used.iter().any(|u| *u != "module");
        let mut out = Vec::new();
        for m in self.harness_modules() {
            let module = ("module", m.name.clone());
            if !per_param {
                out.push(Binding(vec![module]));
                continue;
            }
            for p in &m.params {
                let Some((lo, hi)) = p.range else { continue };
                out.push(Binding(vec![
                    module.clone(),
                    ("param", p.name.clone()),
                    ("min", lo.to_string()),
                    ("max", hi.to_string()),
                    ("below", (lo - 1).to_string()),
                    ("above", (hi + 1).to_string()),
                ]));
            }
        }
        Ok(out)
    }

    /// Expands a check name's placeholders.
    pub fn expand(&self, id: &str) -> Result<Vec<String>, String> {
        Ok(self.bindings(id)?.iter().map(|b| b.apply(id)).collect())
    }

    /// The facts every guest script may read, as shell assignments:
    /// the harness modules and the allowed range of each of their
    /// parameters (`MODULE.PARAM=MIN..=MAX`).
    pub fn guest_env(&self) -> String {
        let modules: Vec<&str> = self.harness_modules().map(|m| m.name.as_str()).collect();
        let mut ranges = Vec::new();
        for m in self.harness_modules() {
            for p in &m.params {
                if let Some((lo, hi)) = p.range {
                    ranges.push(format!("{}.{}={lo}..={hi}", m.name, p.name));
                }
            }
        }
        let sparse: Vec<String> = self
            .harness_modules()
            .flat_map(|m| {
                m.params
                    .iter()
                    .filter(|p| p.sparse)
                    .map(move |p| format!("{}.{}", m.name, p.name))
            })
            .collect();
        crate::contract::assignments([
            (crate::contract::var::MODULES, modules.join(" ")),
            (crate::contract::var::RANGES, ranges.join(" ")),
            (crate::contract::var::SPARSE, sparse.join(" ")),
        ])
    }

    /// How many KUnit suites the built modules carry: the pointers of their
    /// `.kunit_test_suites` sections, which the module loader runs.
    pub fn kunit_suites(&self) -> usize {
        self.modules.iter().map(|m| m.kunit_suites).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_from_descriptions() {
        assert_eq!(
            allowed_range("Rounds; 0 = until unload (allowed 0..=10000000)"),
            Some((0, 10_000_000))
        );
        assert_eq!(allowed_range("x (allowed -5..=5)"), Some((-5, 5)));
        assert_eq!(allowed_range("no range"), None);
    }

    #[test]
    fn modinfo_params() {
        let raw = b"license=GPL\0parmtype=fixed:i64\0parm=fixed:Lock order (allowed 0..=1)\0name=deadlock_x\0";
        let info = parse_modinfo(raw);
        let p = params_of(&info);
        assert_eq!(
            p,
            vec![Param {
                name: "fixed".into(),
                ty: "i64".into(),
                description: "Lock order (allowed 0..=1)".into(),
                range: Some((0, 1)),
                sparse: false,
            }]
        );
    }

    #[test]
    fn placeholders() {
        let m = |name: &str, params: &[(&str, Option<(i64, i64)>)]| Module {
            name: name.into(),
            path: PathBuf::new(),
            info: vec![],
            params: params
                .iter()
                .map(|(n, r)| Param {
                    name: (*n).into(),
                    ty: "i64".into(),
                    description: String::new(),
                    range: *r,
                    sparse: false,
                })
                .collect(),
            kunit_suites: 0,
        };
        let facts = Facts {
            modules: vec![
                m("a", &[("fixed", Some((0, 1))), ("n", Some((1, 2)))]),
                m("k", &[]),
            ],
        };
        assert_eq!(facts.expand("sweep:{module}").unwrap(), vec!["sweep:a"]);
        assert_eq!(
            facts.expand("{module}.{param}:below").unwrap(),
            vec!["a.fixed:below", "a.n:below"]
        );
        let b = facts
            .bindings("{module}: {param}={below} (allowed {min}..={max})")
            .unwrap();
        assert_eq!(
            b.iter()
                .map(|b| b.apply("{module}: {param}={below}, {above} (allowed {min}..={max})"))
                .collect::<Vec<_>>(),
            [
                "a: fixed=-1, 2 (allowed 0..=1)",
                "a: n=0, 3 (allowed 1..=2)"
            ]
        );
        assert_eq!(facts.expand("plain").unwrap(), vec!["plain"]);
        assert_eq!(facts.expand("x{2}").unwrap(), vec!["x{2}"]);
        assert!(facts.expand("{nope}").is_err());
        assert!(facts
            .guest_env()
            .contains("LAB_RANGES='a.fixed=0..=1 a.n=1..=2'"));
    }
}
