//! Prints pre-signed URLs, one a line, for load generators that replay them (`cargo xtask
//! bench` drives wrk with them against the mock).
//!
//! ```text
//! presign_urls --endpoint http://127.0.0.1:9000 [--bucket B] [--region R]
//!              [--secret-id ID --secret-key KEY] [--expires SECS] REQUEST...
//!
//! REQUEST:  get KEY            GET Object
//!           put KEY            PUT Object
//!           OPERATION KEY [NAME=VALUE]...
//!                              processing during download, e.g. AISuperResolution in.png magnify=2
//! Requests are separated by `,`.
//! ```

use std::process::ExitCode;
use std::time::Duration;

use cos_ci_client::{Client, Credentials, ParamValues, Source, find_operation};

const USAGE: &str = "usage: presign_urls --endpoint URL [--bucket B] [--region R] \
[--secret-id ID --secret-key KEY] [--expires SECS] REQUEST [, REQUEST]...\n\
REQUEST: get KEY | put KEY | OPERATION KEY [NAME=VALUE]...";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(urls) => {
            for url in urls {
                println!("{url}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("presign_urls: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<Vec<String>, String> {
    let mut endpoint = None;
    let mut bucket = "examplebucket-1250000000".to_string();
    let mut region = "ap-guangzhou".to_string();
    let mut secret_id = "AKIDEXAMPLE".to_string();
    let mut secret_key = "example-secret".to_string();
    let mut expires = 3600u64;
    let mut rest = args.into_iter();
    let mut words = Vec::new();
    while let Some(arg) = rest.next() {
        let mut value = |name: &str| rest.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--endpoint" => endpoint = Some(value("--endpoint")?),
            "--bucket" => bucket = value("--bucket")?,
            "--region" => region = value("--region")?,
            "--secret-id" => secret_id = value("--secret-id")?,
            "--secret-key" => secret_key = value("--secret-key")?,
            "--expires" => {
                expires = value("--expires")?
                    .parse()
                    .map_err(|e| format!("--expires: {e}"))?;
            }
            _ => words.push(arg),
        }
    }
    let endpoint = endpoint.ok_or("--endpoint is required")?;
    let client = Client::builder()
        .region(region)
        .bucket(bucket)
        .credentials(Credentials::new(secret_id, secret_key))
        .endpoint(endpoint)
        .build()
        .map_err(|e| e.to_string())?;
    let expires = Duration::from_secs(expires);
    words
        .split(|w| w == ",")
        .filter(|request| !request.is_empty())
        .map(|request| presign(&client, request, expires))
        .collect()
}

fn presign(client: &Client, request: &[String], expires: Duration) -> Result<String, String> {
    let (what, key, params) = match request {
        [what, key, params @ ..] => (what.as_str(), key.as_str(), params),
        _ => return Err(format!("incomplete request {request:?}")),
    };
    let url = match what {
        "get" if params.is_empty() => client.presign_get_object(key, expires),
        "put" if params.is_empty() => client.presign_put_object(key, expires),
        operation => {
            let spec = find_operation(operation)
                .ok_or_else(|| format!("unknown operation {operation:?}"))?;
            let mut values = ParamValues::new();
            for pair in params {
                let (name, raw) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("{pair:?} is not NAME=VALUE"))?;
                let param = spec
                    .param(name)
                    .ok_or_else(|| format!("{operation} has no parameter {name:?}"))?;
                let value =
                    cos_ci_client::OpSpec::parse_value(param, raw).map_err(|v| v.to_string())?;
                values.set(param.name, value);
            }
            client.presign_values(spec, &values, &Source::key(key), expires)
        }
    };
    url.map_err(|e| e.to_string())
}
