//! Reading and writing the two XML documents every upload and every failure carries: the
//! UploadResult of processing upon upload / in the cloud, and the COS error document.
//!
//! The floor of parsing is quick-xml reading the same document event by event (unescaping
//! text) without building anything: the tokenizing the parser cannot avoid. `cargo xtask
//! bench` also times the official Python SDK's readers and writers on the same documents;
//! with `COS_CI_BENCH_OUT=<dir>` set they are written to `<dir>/xml/`.

use std::hint::black_box;

use cos_ci_validate::{ErrorDocument, UploadResult, XmlDocument};
use criterion::Criterion;

/// What COS answers a PUT with two Pic-Operations rules and `is_pic_info`.
const UPLOAD_RESULT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<UploadResult>
    <OriginalInfo>
        <Key>photos/2024/in.png</Key>
        <Location>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/photos/2024/in.png</Location>
        <ETag>"0e3b4a8e6c4b2c1b8e9f7a6d5c4b3a29"</ETag>
        <ImageInfo>
            <Format>PNG</Format>
            <Width>1024</Width>
            <Height>768</Height>
            <Quality>100</Quality>
            <Ave>0x8a7f6e</Ave>
            <Orientation>0</Orientation>
        </ImageInfo>
    </OriginalInfo>
    <ProcessResults>
        <Object>
            <Key>photos/2024/big.png</Key>
            <Location>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/photos/2024/big.png</Location>
            <Format>PNG</Format>
            <Width>2048</Width>
            <Height>1536</Height>
            <Size>3145728</Size>
            <Quality>100</Quality>
            <ETag>"9d8c7b6a5f4e3d2c1b0a998877665544"</ETag>
        </Object>
        <Object>
            <Key>cutouts/in &amp; out.png</Key>
            <Location>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/cutouts/in%20%26%20out.png</Location>
            <Format>PNG</Format>
            <Width>1064</Width>
            <Height>788</Height>
            <Size>524288</Size>
            <ETag>"00112233445566778899aabbccddeeff"</ETag>
        </Object>
    </ProcessResults>
</UploadResult>
"#;

/// A COS error answer.
const ERROR: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error>
    <Code>SignatureDoesNotMatch</Code>
    <Message>The calculated signature does not match the one provided.</Message>
    <Resource>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/photos/2024/in.png</Resource>
    <RequestId>NjUxYjY3ZjFfOTBmYTUwNjRfMWRkNl8xMjM0NTY3</RequestId>
    <TraceId>OGVmYzZiMmQzYjA2OWNhODk0NTRkMTBiOWVmMDAxODc0OWRkZjk0ZDM1NmI1M2E2MTRlY2MzZDhmNmI5MWI1OTBjYzE2MjEwZDc4OGMyMTY3NTBhZTNiMzY3NGVhMGI0</TraceId>
</Error>
"#;

/// quick-xml's own pass over the document: every event, text unescaped, nothing built.
fn scan(xml: &str) -> usize {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut n = 0usize;
    loop {
        match reader.read_event().expect("well-formed") {
            quick_xml::events::Event::Eof => return n,
            quick_xml::events::Event::Text(t) => {
                n += t.unescape().expect("well-formed").len();
            }
            _ => n += 1,
        }
    }
}

fn xml(c: &mut Criterion) {
    if let Some(dir) = std::env::var_os("COS_CI_BENCH_OUT") {
        let dir = std::path::Path::new(&dir).join("xml");
        std::fs::create_dir_all(&dir).expect("COS_CI_BENCH_OUT/xml can be created");
        std::fs::write(dir.join("upload_result.xml"), UPLOAD_RESULT).expect("writable");
        std::fs::write(dir.join("error.xml"), ERROR).expect("writable");
    }
    let upload = UploadResult::from_xml(UPLOAD_RESULT).expect("the sample parses");
    let error = ErrorDocument::from_xml(ERROR).expect("the sample parses");

    let mut group = c.benchmark_group("xml");
    group.bench_function("parse_upload_result", |b| {
        b.iter(|| UploadResult::from_xml(black_box(UPLOAD_RESULT)).expect("parses"))
    });
    group.bench_function("write_upload_result", |b| {
        b.iter(|| black_box(&upload).to_xml())
    });
    group.bench_function("parse_error", |b| {
        b.iter(|| ErrorDocument::from_xml(black_box(ERROR)).expect("parses"))
    });
    group.bench_function("write_error", |b| b.iter(|| black_box(&error).to_xml()));
    group.bench_function("floor_scan_upload_result", |b| {
        b.iter(|| scan(black_box(UPLOAD_RESULT)))
    });
    group.bench_function("floor_scan_error", |b| b.iter(|| scan(black_box(ERROR))));
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    xml(&mut criterion);
    criterion.final_summary();
}
