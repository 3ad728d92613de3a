//! "Add an operation by editing YAML": in a copy of the workspace, a new operation's YAML plus
//! the generator is all it takes for the validation crate, the client, the mock and the CLI to
//! handle it; deleting the YAML removes it everywhere and the workspace still builds.
//!
//! The copy builds in its own target directory (`<target>/add-operation`), since the outer
//! `cargo test` holds the lock on its own; the first run compiles the dependencies once more.
//! Every cargo command here selects the whole workspace, so features resolve alike in each
//! and the dependencies are compiled once, not once per command.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NEW_OP: &str = r#"# A made-up operation: nothing but this file adds it. It uses a list parameter, a
# URL-safe base64 parameter and an XML answer whose node keeps a misspelled wire name.
name: ImageDemoTone
summary: Score how warm or cool an image looks.
modes: [download]
source:
  detect_url: true
permissions:
  download: [ci:CreateImageDemoToneJob]
params:
  level:
    type: integer
    range: [0, 9]
    default: 4
    doc: How strong the tone is.
  tones:
    type: list
    values: [warm, cool, neutral]
    doc: Which tones to score.
  note:
    type: text
    encoding: base64url
    max_len: 64
    doc: Free text, sent as URL-safe base64.
output:
  download: xml
  response:
    root: Response
    nodes:
      Sorce: { type: integer, field: score, example: 87, doc: The score (the wire spells it Sorce). }
mock:
  processor: xml
examples:
  - params: { level: 7, tones: [cool, warm], note: "a b" }
    query: ci-process=ImageDemoTone&level=7&tones=cool%2Cwarm&note=YSBi
  - params: { level: 10 }
    error: level
  - params: { tones: [warm, warm] }
    error: tones
"#;

/// The longest any cargo step may take before the test gives up (never hang).
const STEP_TIMEOUT: Duration = Duration::from_secs(1500);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The target directory of this build: `CARGO_TARGET_DIR`, or the one holding this test binary.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap();
    // <target>/debug/deps/it-<hash>
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

fn copy_workspace(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if matches!(name.as_ref(), "target" | ".git" | ".venv" | "node_modules") {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
            copy_workspace(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Waits for `child` at most `limit`, killing it past that.
fn wait(mut child: Child, limit: Duration, what: &str) -> std::process::Output {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{what} took longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn cargo(dir: &Path, target: &Path, args: &[&str]) -> String {
    eprintln!("add_operation: cargo {}", args.join(" "));
    let child = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait(child, STEP_TIMEOUT, &format!("cargo {args:?}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "cargo {args:?} failed:\n{text}");
    text
}

fn regenerate(root: &Path) -> Vec<cos_ci_codegen::Drift> {
    let spec = cos_ci_codegen::load(&root.join("spec")).unwrap_or_else(|d| panic!("{d}"));
    let files = cos_ci_codegen::generate(&spec).unwrap();
    cos_ci_codegen::apply(root, &files).unwrap()
}

/// A running mock binary, killed when dropped.
struct Mock(Child, String);

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_mock(bin: &Path) -> Mock {
    use std::io::BufRead;
    let mut child = Command::new(bin)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let endpoint = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    Mock(child, endpoint)
}

fn cli(bin: &Path, endpoint: &str, args: &[&str]) -> std::process::Output {
    let child = Command::new(bin)
        .args([
            "--endpoint",
            endpoint,
            "--region",
            "ap-guangzhou",
            "--bucket",
            "examplebucket-1250000000",
        ])
        .args([
            "--secret-id",
            "AKIDEXAMPLE",
            "--secret-key",
            "example-secret",
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait(child, Duration::from_secs(60), "cos-ci")
}

/// The crates that get a module for an image operation; the mock generates one only for an
/// operation answering a document (the typed answer its tests compare with).
const GENERATED_IN: [&str; 3] = ["cos-ci-validate", "cos-ci-client", "cos-ci-mock"];

#[test]
fn an_operation_added_by_yaml_alone_works_everywhere() {
    let copy = tempfile::tempdir().unwrap();
    let root = copy.path();
    copy_workspace(&workspace_root(), root);
    let target = target_dir().join("add-operation");

    // 1. Add the YAML and run the generator: new files in all three crates, nothing else.
    std::fs::write(root.join("spec/operations/image-demo-tone.yaml"), NEW_OP).unwrap();
    let changed: Vec<String> = regenerate(root).iter().map(ToString::to_string).collect();
    for krate in GENERATED_IN {
        let file = format!("missing: crates/{krate}/src/generated/image_demo_tone.rs");
        assert!(changed.contains(&file), "{changed:#?}");
    }
    // The mock's routes come from `OPERATIONS`; its only new file is the typed answer its
    // tests compare the node-tree answer with.
    assert!(
        changed.iter().all(|c| c.contains("/src/generated/")),
        "{changed:#?}"
    );
    let validate = std::fs::read_to_string(
        root.join("crates/cos-ci-validate/src/generated/image_demo_tone.rs"),
    )
    .unwrap();
    // The list is a `Vec` of its words' enum; the misspelled node keeps its wire name.
    assert!(
        validate.contains("pub tones: Option<Vec<Tones>>"),
        "{validate}"
    );
    assert!(validate.contains("pub score: i64"), "{validate}");
    assert!(validate.contains("\"Sorce\""), "{validate}");
    assert!(validate.contains("ParamKind::base64url(64)"), "{validate}");

    // 2. The validation crate runs the YAML's examples as tests; the client and the mock serve
    //    it in every mode (the generic end-to-end test covers every operation in the spec).
    let out = cargo(
        root,
        &target,
        &["test", "--workspace", "--lib", "image_demo_tone"],
    );
    assert!(
        out.contains("image_demo_tone::tests::examples ... ok"),
        "{out}"
    );
    cargo(
        root,
        &target,
        &["test", "--workspace", "--test", "it", "every_operation::"],
    );

    // 3. The CLI lists it and runs it against the mock (both binaries were built for their
    //    crates' integration tests above).
    cargo(root, &target, &["test", "--workspace", "--no-run"]);
    let (mock_bin, cli_bin) = (
        target.join("debug/cos-ci-mock"),
        target.join("debug/cos-ci"),
    );
    let mock = start_mock(&mock_bin);
    let ops = cli(&cli_bin, &mock.1, &["ops"]);
    let listing = String::from_utf8_lossy(&ops.stdout);
    assert!(
        listing.contains("ImageDemoTone (image-demo-tone)"),
        "{listing}"
    );
    let png = root.join("in.png");
    std::fs::write(&png, cos_ci_tests::sample_png(16, 8)).unwrap();
    let put = cli(&cli_bin, &mock.1, &["put", png.to_str().unwrap(), "in.png"]);
    assert!(
        put.status.success(),
        "{}",
        String::from_utf8_lossy(&put.stderr)
    );
    let out_xml = root.join("out.xml");
    let args = [
        "process",
        "image-demo-tone",
        "in.png",
        "-o",
        out_xml.to_str().unwrap(),
        "-p",
        "tones=warm,cool",
        "-p",
        "note=YSBi",
    ];
    let processed = cli(&cli_bin, &mock.1, &args);
    assert!(
        processed.status.success(),
        "{}",
        String::from_utf8_lossy(&processed.stderr)
    );
    let answer = std::fs::read_to_string(&out_xml).unwrap();
    assert!(answer.contains("<Sorce>87</Sorce>"), "{answer}");
    let repeated = cli(
        &cli_bin,
        &mock.1,
        &[
            "process",
            "ImageDemoTone",
            "in.png",
            "-o",
            "x.xml",
            "-p",
            "tones=warm,warm",
        ],
    );
    assert!(!repeated.status.success());
    assert!(String::from_utf8_lossy(&repeated.stderr).contains("tones"));
    let refused = cli(
        &cli_bin,
        &mock.1,
        &[
            "process",
            "ImageDemoTone",
            "in.png",
            "-o",
            "x.xml",
            "-p",
            "level=10",
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("level"));
    drop(mock);

    // 4. Deleting the YAML removes it everywhere, and the workspace still builds.
    std::fs::remove_file(root.join("spec/operations/image-demo-tone.yaml")).unwrap();
    let removed: Vec<String> = regenerate(root).iter().map(ToString::to_string).collect();
    for krate in GENERATED_IN {
        let file = format!("extra:   crates/{krate}/src/generated/image_demo_tone.rs");
        assert!(removed.contains(&file), "{removed:#?}");
        assert!(
            !root
                .join(format!("crates/{krate}/src/generated/image_demo_tone.rs"))
                .exists()
        );
    }
    cargo(root, &target, &["build", "--workspace", "--all-targets"]);
    let ops = Command::new(&cli_bin).arg("ops").output().unwrap();
    assert!(!String::from_utf8_lossy(&ops.stdout).contains("ImageDemoTone"));
}
