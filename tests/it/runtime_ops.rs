//! Operations registered at run time: YAML written in a temporary folder, loaded with
//! `cos_ci_validate::runtime::load_operations`, served by `MockServer::builder()` and by the
//! mock binary with `--spec DIR`, and called by the client generically and by `cos-ci --spec`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use cos_ci_client::{Client, Mode, ParamValues, PicOperations, PicRule, Source};
use cos_ci_mock::policy::{Effect, Policy, Statement};
use cos_ci_mock::processors::ProcessError;
use cos_ci_mock::{Account, MockError, MockOperation, MockServer};
use cos_ci_tests::{dimensions, sample_png};
use cos_ci_validate::OpSpec;
use cos_ci_validate::runtime::load_operations;

use crate::mock_storage::{cli_binary, mock_binary};
use crate::mock_support::{STEP, bounded, client_as, config, owner, service};

/// An XML operation the built-in spec does not have; its answer is built from this tree.
const COUNT_OP: &str = r#"name: DemoCount
summary: Count the things in an image.
modes: [download]
permissions:
  download: [ci:CreateDemoCountJob]
params:
  max-things:
    type: integer
    range: [1, 50]
    doc: Most things to count.
output:
  download: xml
  response:
    root: Response
    rust_name: DemoCountResponse
    nodes:
      ImageWidth: { type: integer, doc: Width of the image. }
      Model: { type: string, example: "demo-1", doc: The model. }
      Sure: { type: boolean, example: "TRUE", spelling: [TRUE, FALSE], doc: Sure or not. }
      Things:
        repeated: true
        rust_name: Thing
        doc: One thing.
        nodes:
          Name: { type: string, example: cat, doc: What it is. }
          Score: { type: number, example: 0.5, doc: How sure. }
mock:
  processor: xml
examples:
  - params: { max-things: 3 }
    query: ci-process=DemoCount&max-things=3
"#;

/// An image operation answered by a built-in image stand-in.
const ZOOM_OP: &str = r#"name: DemoZoom
summary: Enlarge an image.
modes: [download, cloud]
permissions:
  download: [ci:CreateDemoZoomJob]
params:
  magnify:
    type: integer
    values: [2, 4]
    default: 2
    doc: How many times larger.
output:
  download: image
mock:
  processor: super-resolution
  inputs: { magnify: magnify }
examples:
  - params: { magnify: 2 }
    query: ci-process=DemoZoom&magnify=2
"#;

/// A folder holding `files` (name, text).
fn spec_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn loaded(dir: &Path) -> Vec<&'static OpSpec> {
    load_operations(&[dir]).unwrap_or_else(|e| panic!("{e}"))
}

fn named(specs: &[&'static OpSpec], name: &str) -> &'static OpSpec {
    specs.iter().copied().find(|s| s.name == name).unwrap()
}

fn values(spec: &OpSpec, pairs: &[(&str, &str)]) -> ParamValues {
    spec.decode_pairs(pairs.iter().copied(), true).unwrap()
}

async fn started(operations: Vec<MockOperation>) -> (MockServer, Client) {
    let server = MockServer::builder()
        .config(config())
        .operations(operations)
        .start()
        .await
        .unwrap();
    let client = owner(&server);
    bounded(client.put_object("in.png", sample_png(30, 20)))
        .await
        .unwrap();
    (server, client)
}

#[tokio::test]
async fn yaml_operations_are_served_by_the_builder_and_called_generically() {
    let dir = spec_dir(&[("demo-count.yaml", COUNT_OP), ("demo-zoom.yaml", ZOOM_OP)]);
    let specs = loaded(dir.path());
    assert_eq!(specs.len(), 2);
    let (count, zoom) = (named(&specs, "DemoCount"), named(&specs, "DemoZoom"));
    assert!(
        count.source().ends_with("demo-count.yaml"),
        "{}",
        count.source()
    );
    let (server, client) = started(specs.iter().copied().map(MockOperation::new).collect()).await;
    assert!(server.operations().iter().any(|s| s.name == "DemoCount"));

    // The generic XML answer: samples, the spelling, the image's width, one repeated node.
    let answer = bounded(client.process_values(
        count,
        &values(count, &[("max-things", "3")]),
        &Source::key("in.png"),
    ))
    .await
    .unwrap();
    let xml = String::from_utf8(answer.bytes.to_vec()).unwrap();
    assert!(
        answer.content_type.contains("xml"),
        "{}",
        answer.content_type
    );
    assert!(
        xml.ends_with(
            "<Response><ImageWidth>30</ImageWidth><Model>demo-1</Model><Sure>TRUE</Sure>\
             <Things><Name>cat</Name><Score>0.5</Score></Things></Response>"
        ),
        "{xml}"
    );
    // Parameters are checked against the YAML's ranges.
    let mut too_many = ParamValues::new();
    too_many.set("max-things", cos_ci_validate::Value::Int(51));
    let err = bounded(client.process_values(count, &too_many, &Source::key("in.png")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("max-things"), "{err}");

    // The image stand-in the YAML names, during download and in the cloud.
    let image = bounded(client.process_values(
        zoom,
        &values(zoom, &[("magnify", "4")]),
        &Source::key("in.png"),
    ))
    .await
    .unwrap();
    assert_eq!(dimensions(&image.bytes), Some((120, 80, false)));
    let mut ops = PicOperations::new();
    ops.rules.push(PicRule {
        bucket: None,
        fileid: "big.png".into(),
        rule: zoom.encode_rule(&values(zoom, &[("magnify", "2")])),
    });
    bounded(client.image_process("in.png", &ops)).await.unwrap();
    let stored = bounded(client.get_object("big.png")).await.unwrap();
    assert_eq!(dimensions(&stored.bytes), Some((60, 40, false)));
    // A mode the YAML does not list is refused.
    assert!(!zoom.supports(Mode::Upload));
}

#[tokio::test]
async fn permissions_of_a_yaml_operation_come_from_its_file() {
    let dir = spec_dir(&[("demo-count.yaml", COUNT_OP)]);
    let count = named(&loaded(dir.path()), "DemoCount");
    let user = |id: &str, actions: &[&str]| Account {
        secret_id: id.to_string(),
        secret_key: format!("{id}-secret"),
        policy: Some(Policy {
            version: "2.0".into(),
            statement: vec![Statement {
                effect: Effect::Allow,
                action: actions.iter().map(|a| format!("name/{a}")).collect(),
                resource: vec!["*".into()],
                condition: None,
            }],
        }),
        ..Account::default()
    };
    let mut cfg = config();
    cfg.accounts.push(user("AKIDREADONLY", &["cos:GetObject"]));
    cfg.accounts.push(user(
        "AKIDCOUNTER",
        &["cos:GetObject", "ci:CreateDemoCountJob"],
    ));
    let server = MockServer::builder()
        .config(cfg)
        .operation(MockOperation::new(count))
        .start()
        .await
        .unwrap();
    bounded(owner(&server).put_object("in.png", sample_png(8, 8)))
        .await
        .unwrap();
    let call = |client: Client| async move {
        bounded(client.process_values(count, &ParamValues::new(), &Source::key("in.png"))).await
    };
    let denied = call(client_as(&server, "AKIDREADONLY", "AKIDREADONLY-secret"))
        .await
        .unwrap_err();
    assert_eq!(service(&denied), (403, "AccessDenied"), "{denied}");
    call(client_as(&server, "AKIDCOUNTER", "AKIDCOUNTER-secret"))
        .await
        .unwrap();
}

#[test]
fn a_colliding_name_is_refused_naming_both_files() {
    // With a built-in operation.
    let builtin = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/operations/detect-face.yaml"),
    )
    .unwrap();
    let dir = spec_dir(&[("detect-face.yaml", &builtin)]);
    let err = load_operations(&[dir.path()]).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "{}",
            dir.path().join("detect-face.yaml").display()
        )),
        "{err}"
    );
    assert!(err.contains("spec/operations/detect-face.yaml"), "{err}");

    // With another loaded file: both paths named, and the problem placed at `name:`.
    let (a, b) = (
        spec_dir(&[("demo-count.yaml", COUNT_OP)]),
        spec_dir(&[("demo-count.yaml", COUNT_OP)]),
    );
    let err = load_operations(&[a.path(), b.path()])
        .unwrap_err()
        .to_string();
    let second = format!("{}:1:1:", b.path().join("demo-count.yaml").display());
    assert!(err.contains(&second), "{err}");
    assert!(
        err.contains(&format!("{}", a.path().join("demo-count.yaml").display())),
        "{err}"
    );

    // A problem inside a file keeps its line and column.
    let broken = COUNT_OP.replace("range: [1, 50]", "range: [50, 1]");
    let dir = spec_dir(&[("demo-count.yaml", &broken)]);
    let err = load_operations(&[dir.path()]).unwrap_err().to_string();
    let at = format!("{}:9:", dir.path().join("demo-count.yaml").display());
    assert!(err.contains(&at), "{err}");
}

#[tokio::test]
async fn a_registered_name_that_is_built_in_stops_the_server() {
    let spec = cos_ci_validate::find_operation("DetectFace").unwrap();
    let err = MockServer::builder()
        .config(config())
        .operation(MockOperation::new(spec))
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, MockError::Operation(_)), "{err}");
}

#[tokio::test]
async fn the_users_own_stand_in_answers() {
    let dir = spec_dir(&[("demo-count.yaml", COUNT_OP)]);
    let count = named(&loaded(dir.path()), "DemoCount");
    let stand_in =
        MockOperation::with_stand_in(count, |input| match input.params.int("max-things") {
            Some(0..=9) | None => Ok(format!(
                "<Response><Bytes>{}</Bytes><Op>{}</Op></Response>",
                input.input.len(),
                input.spec.name
            )
            .into_bytes()),
            Some(_) => Err(ProcessError::new("ImageTooLarge", "too many things")),
        });
    let (_server, client) = started(vec![stand_in]).await;
    let size = bounded(client.head_object("in.png")).await.unwrap().size;
    let answer = bounded(client.process_values(count, &ParamValues::new(), &Source::key("in.png")))
        .await
        .unwrap();
    assert_eq!(
        std::str::from_utf8(&answer.bytes).unwrap(),
        format!("<Response><Bytes>{size}</Bytes><Op>DemoCount</Op></Response>")
    );
    assert!(
        answer.content_type.contains("xml"),
        "{}",
        answer.content_type
    );
    let err = bounded(client.process_values(
        count,
        &values(count, &[("max-things", "20")]),
        &Source::key("in.png"),
    ))
    .await
    .unwrap_err();
    assert_eq!(service(&err).1, "ImageTooLarge", "{err}");
}

/// `cos-ci-mock --spec DIR`, killed when dropped.
struct Mock {
    child: Child,
    endpoint: String,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_mock(spec: &Path) -> Mock {
    let mut child = Command::new(mock_binary())
        .args(["--listen", "127.0.0.1:0", "--spec"])
        .arg(spec)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let (out_tx, out_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = out_tx.send(lines.next());
        for _ in lines {}
    });
    let mut mock = Mock {
        child,
        endpoint: String::new(),
        stderr: rx,
    };
    let line = match out_rx.recv_timeout(STEP) {
        Ok(Some(Ok(line))) => line,
        other => panic!("the mock did not say where it listens: {other:?}"),
    };
    mock.endpoint = line.strip_prefix("listening on ").unwrap().to_string();
    mock
}

#[test]
fn the_binaries_take_spec_dirs() {
    let dir = spec_dir(&[("demo-count.yaml", COUNT_OP), ("demo-zoom.yaml", ZOOM_OP)]);
    let mock = spawn_mock(dir.path());
    let mut lines = Vec::new();
    while let Ok(line) = mock.stderr.recv_timeout(STEP) {
        let done = line.contains("--spec");
        lines.push(line);
        if done {
            break;
        }
    }
    let listed = lines
        .iter()
        .find(|l| l.contains("operations from --spec"))
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(
        listed.contains("DemoCount") && listed.contains("DemoZoom"),
        "{listed}"
    );

    let work = tempfile::tempdir().unwrap();
    let input = work.path().join("in.png");
    std::fs::write(&input, sample_png(12, 9)).unwrap();
    let cli = |args: &[&str]| {
        let out = Command::new(cli_binary())
            .current_dir(work.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", work.path())
            .args([
                "--endpoint",
                &mock.endpoint,
                "--scheme",
                "http",
                "--region",
                "ap-guangzhou",
            ])
            .args(["--bucket", "examplebucket-1250000000"])
            .args([
                "--secret-id",
                "AKIDEXAMPLE",
                "--secret-key",
                "example-secret",
            ])
            .arg("--spec")
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cos-ci {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    cli(&["put", "in.png", "in.png"]);
    cli(&[
        "process",
        "demo-count",
        "in.png",
        "-o",
        "count.xml",
        "-p",
        "max-things=2",
    ]);
    let xml = std::fs::read_to_string(work.path().join("count.xml")).unwrap();
    assert!(xml.contains("<ImageWidth>12</ImageWidth>"), "{xml}");
    cli(&[
        "process",
        "DemoZoom",
        "in.png",
        "-o",
        "big.png",
        "-p",
        "magnify=2",
    ]);
    let big = std::fs::read(work.path().join("big.png")).unwrap();
    assert_eq!(dimensions(&big), Some((24, 18, false)));
    assert!(cli(&["ops"]).contains("DemoZoom (demo-zoom)"));

    // Without --spec the CLI does not know it (usage error, exit 2).
    let out = Command::new(cli_binary())
        .current_dir(work.path())
        .env_clear()
        .env("HOME", work.path())
        .args(["--endpoint", &mock.endpoint, "--region", "ap-guangzhou"])
        .args(["--bucket", "examplebucket-1250000000"])
        .args([
            "--secret-id",
            "AKIDEXAMPLE",
            "--secret-key",
            "example-secret",
        ])
        .args(["process", "DemoZoom", "in.png", "-o", "x.png"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown operation \"DemoZoom\""),
        "{stderr}"
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// README snippet begins
async fn readme_example(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use cos_ci_mock::{MockOperation, MockServer};

    let specs = cos_ci_validate::runtime::load_operations(&[dir])?;
    let server = MockServer::builder()
        .operations(specs.iter().copied().map(MockOperation::new))
        .start()
        .await?;
    // Or the user's own processing: the answer's bytes, or a COS error (`ProcessError`).
    let echo = MockOperation::with_stand_in(specs[0], |input| Ok(input.input.to_vec()));
    // README snippet ends
    assert!(server.operations().iter().any(|s| s.name == "DemoZoom"));
    assert_eq!(echo.spec().name, "DemoZoom");
    Ok(())
}

#[tokio::test]
async fn the_readme_example_runs_and_is_what_the_readme_shows() {
    let dir = spec_dir(&[("demo-zoom.yaml", ZOOM_OP)]);
    bounded(readme_example(dir.path())).await.unwrap();

    let source = include_str!("runtime_ops.rs");
    let start = source.find("// README snippet begins").unwrap();
    let end = source.find("    // README snippet ends").unwrap();
    let readme = include_str!("../../README.md");
    let body: Vec<&str> = source[start..end]
        .lines()
        .skip(2)
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect();
    let block = body.join("\n");
    assert!(readme.contains(&block), "README lacks\n{block}");
}
