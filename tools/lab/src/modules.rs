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
}

/// One built module.
#[derive(Debug, Clone)]
pub struct Module {
    pub name: String,
    pub path: PathBuf,
    /// Every `key=value` of its `.modinfo`, in order.
    pub info: Vec<(String, String)>,
    pub params: Vec<Param>,
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
        Ok(Module {
            name,
            path: path.to_path_buf(),
            info,
            params,
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

/// The KUnit cases of a crate root, as `suite.case` is not what KUnit
/// prints: the case names, in source order, and the suites.
pub fn kunit_cases(source: &str) -> (Vec<String>, Vec<String>) {
    let (mut suites, mut cases) = (Vec::new(), Vec::new());
    let mut test_next = false;
    for line in source.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("#[kunit_tests(") {
            suites.push(rest.trim_end_matches(")]").to_string());
        } else if l == "#[test]" {
            test_next = true;
        } else if test_next {
            if let Some(rest) = l.strip_prefix("fn ") {
                cases.push(rest.split(['(', '<']).next().unwrap_or("").to_string());
            }
            test_next = false;
        }
    }
    (suites, cases)
}

/// What the lab built, from which the scenarios' placeholders, the guest's
/// module lists and the parameter checks are derived.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Every built module of the suite, in name order.
    pub modules: Vec<Module>,
    pub kunit_suites: Vec<String>,
    pub kunit_cases: Vec<String>,
}

impl Facts {
    /// The modules built from `src/` into `ko_dir`. A crate root without its
    /// `.ko` is an error, except a KUnit one on a kernel without KUnit.
    pub fn gather(src: &Path, ko_dir: &Path, kunit: bool) -> Result<Facts, Error> {
        let mut facts = Facts::default();
        for name in crate_roots(src)? {
            let is_kunit = name.ends_with("_kunit");
            if is_kunit {
                let text =
                    std::fs::read_to_string(src.join(format!("{name}.rs"))).unwrap_or_default();
                let (suites, cases) = kunit_cases(&text);
                facts.kunit_suites.extend(suites);
                facts.kunit_cases.extend(cases);
                if !kunit {
                    continue;
                }
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

    /// Expands a check name's placeholders.
    pub fn expand(&self, id: &str) -> Result<Vec<String>, String> {
        if id.contains("{kunit_case}") {
            return Ok(self
                .kunit_cases
                .iter()
                .map(|c| id.replace("{kunit_case}", c))
                .collect());
        }
        if id.contains("{param}") {
            let mut out = Vec::new();
            for m in self.harness_modules() {
                for p in m.params.iter().filter(|p| p.range.is_some()) {
                    out.push(id.replace("{module}", &m.name).replace("{param}", &p.name));
                }
            }
            return Ok(out);
        }
        if id.contains("{module}") {
            return Ok(self
                .harness_modules()
                .map(|m| id.replace("{module}", &m.name))
                .collect());
        }
        if id.contains('{') {
            return Err(format!(
                "check {id:?}: unknown placeholder (use {{module}}, {{param}} or {{kunit_case}})"
            ));
        }
        Ok(vec![id.to_string()])
    }

    /// The facts every guest script may read, as shell assignments:
    /// `LAB_MODULES` (the harness modules), `LAB_RANGES` (`MODULE.PARAM=MIN..=MAX`
    /// for each of their parameters with a range), `LAB_KUNIT_SUITES`.
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
        format!(
            "LAB_MODULES='{}'\nLAB_RANGES='{}'\nLAB_KUNIT_SUITES={}\n",
            modules.join(" "),
            ranges.join(" "),
            self.kunit_suites.len()
        )
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
                range: Some((0, 1))
            }]
        );
    }

    #[test]
    fn kunit_cases_in_source_order() {
        let src = "#[kunit_tests(s1)]\nmod a {\n    #[test]\n    fn one() -> Result {\n    }\n    fn helper() {}\n    #[test]\n    fn two() {}\n}\n";
        assert_eq!(
            kunit_cases(src),
            (
                vec!["s1".to_string()],
                vec!["one".to_string(), "two".to_string()]
            )
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
                })
                .collect(),
        };
        let facts = Facts {
            modules: vec![
                m("a", &[("fixed", Some((0, 1))), ("n", Some((1, 2)))]),
                m("k", &[]),
            ],
            kunit_suites: vec![],
            kunit_cases: vec!["c1".into()],
        };
        assert_eq!(facts.expand("sweep:{module}").unwrap(), vec!["sweep:a"]);
        assert_eq!(
            facts.expand("{module}.{param}:below").unwrap(),
            vec!["a.fixed:below", "a.n:below"]
        );
        assert_eq!(
            facts.expand("kunit:{kunit_case}").unwrap(),
            vec!["kunit:c1"]
        );
        assert!(facts.expand("{nope}").is_err());
        assert!(facts
            .guest_env()
            .contains("LAB_RANGES='a.fixed=0..=1 a.n=1..=2'"));
    }
}
