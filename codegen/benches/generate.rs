//! The generator over the whole spec: `load` (read, parse, check) and `generate` (emit and
//! format every generated file), as `cargo xtask codegen` runs them.
//!
//! The floor is reading every YAML file of the spec and parsing it into `serde_norway::Value`:
//! the input work any generator does. With `COS_CI_BENCH_SYNTHETIC_SPEC=<spec dir>` set (a
//! spec of 100 operations that `cargo xtask bench` writes), the same is measured on it too.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, SamplingMode};

fn load_generate(spec_dir: &Path) -> usize {
    let spec = cos_ci_codegen::load(spec_dir).expect("the spec loads");
    let files = cos_ci_codegen::generate(&spec).expect("the spec generates");
    files.iter().map(|f| f.contents.len()).sum()
}

/// Reads and YAML-parses every file of the spec, nothing more.
fn parse_only(spec_dir: &Path) -> usize {
    let mut paths = vec![spec_dir.join("service.yaml")];
    let mut ops: Vec<PathBuf> = std::fs::read_dir(spec_dir.join("operations"))
        .expect("spec/operations is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    ops.sort();
    paths.extend(ops);
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("a spec file is readable");
            let value: serde_norway::Value = serde_norway::from_str(&text).expect("valid YAML");
            usize::from(!value.is_null())
        })
        .sum()
}

fn generator(c: &mut Criterion) {
    let today = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let mut specs = vec![("today", today)];
    if let Some(dir) = std::env::var_os("COS_CI_BENCH_SYNTHETIC_SPEC") {
        specs.push(("synthetic100", PathBuf::from(dir)));
    }
    let mut group = c.benchmark_group("codegen");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.warm_up_time(Duration::from_millis(500));
    for (name, dir) in &specs {
        group.bench_function(format!("load_generate_{name}"), |b| {
            b.iter(|| load_generate(black_box(dir)))
        });
        group.bench_function(format!("floor_parse_{name}"), |b| {
            b.iter(|| parse_only(black_box(dir)))
        });
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    generator(&mut criterion);
    criterion.final_summary();
}
