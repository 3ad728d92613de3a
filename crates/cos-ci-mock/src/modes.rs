//! The three processing modes: during download, upon upload, and in the cloud.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use cos_ci_validate::{
    ErrorCode, ImageInfo, Input, Mode, OpSpec, OriginalInfo, Output, PIC_OPERATIONS_HEADER,
    ParamValues, PicOperations, ProcessResults, ProcessedObject, UploadResult, XmlDocument,
    resolve_fileid,
};

use crate::auth::authorize_actions;
use crate::config::Account;
use crate::detect_url;
use crate::error::ApiError;
use crate::http::{Ctx, ok, read_body};
use crate::processing::{self, Produced};
use crate::processors;
use crate::route::Served;
use crate::state::MockState;

/// Processing during download: `GET /<key>?ci-process=…` answers the result itself.
pub async fn download(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
    spec: &'static OpSpec,
) -> Result<Response, ApiError> {
    let route = state.routes.find(spec.name).ok_or_else(internal)?.clone();
    if !spec.supports(Mode::Download) {
        return Err(unsupported(spec, Mode::Download));
    }
    let values = spec.decode_query(&ctx.raw_query)?;
    let detect = ctx.param("detect-url").filter(|v| !v.is_empty());
    // A bucket host of another kind than the operation's (`hosts:`, or its detect-url host
    // for a detect-url) does not serve it; an IP or custom domain names no kind.
    if let Some(kind) = ctx.header("host").and_then(crate::addressing::host_kind) {
        if !spec.served_on(kind, detect.is_some()) {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "{} is not served on the .{}. host",
                    spec.name,
                    kind.as_str()
                ),
            ));
        }
    }
    if spec.input == Input::None {
        return without_input(state, ctx, account, spec, route, values, detect.is_some()).await;
    }
    if detect.is_some() && spec.detect_url.is_none() {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!("{} does not take detect-url", spec.name),
        ));
    }
    if detect.is_some() && !ctx.target.key.is_empty() && spec.key_or_detect_url() {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!(
                "{} takes the object key or a detect-url, not both",
                spec.name
            ),
        ));
    }
    if detect.is_none() && ctx.target.key.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!("{} needs an object key or a detect-url", spec.name),
        ));
    }
    let (bucket, key) = (ctx.target.bucket.clone(), ctx.target.key.clone());
    // With a detect-url there is no object to read, so only the ci:* action applies.
    authorize_actions(
        state,
        account,
        &spec.actions(Mode::Download),
        |a| spec.action_names(a),
        |_| {
            if detect.is_some() {
                Vec::new()
            } else {
                vec![(bucket.clone(), key.clone())]
            }
        },
        &bucket,
    )?;
    let limit = spec.limits.max_input_bytes;
    let input = match detect {
        Some(url) => detect_url::fetch(state, &detect_url::normalize(url)?, limit).await?,
        None => {
            let object = state.storage.get(&bucket, &key, None).await?;
            if object.meta.size > limit {
                if processing::ignores_errors(spec, &values) {
                    // The original, streamed: it is larger than any processing would read.
                    let mut response = Response::new(Body::from_stream(object.body.into_stream()));
                    crate::object::headers(&mut response, &object.meta);
                    response.headers_mut().insert(
                        http::header::CONTENT_LENGTH,
                        http::HeaderValue::from(object.meta.size),
                    );
                    // Still a processing answer, like every other one.
                    response.headers_mut().insert(
                        http::header::SERVER,
                        http::HeaderValue::from_static("tencent-ci"),
                    );
                    return Ok(response);
                }
                return Err(ApiError::new(
                    ErrorCode::ImageTooLarge,
                    format!(
                        "{} takes at most {limit} bytes; the object has {}",
                        spec.name, object.meta.size
                    ),
                ));
            }
            object.body.into_bytes(limit).await?.to_vec()
        }
    };
    let produced = run_blocking(state, vec![(route, values)], Bytes::from(input)).await?;
    let produced = produced.into_iter().next().ok_or_else(internal)?;
    Ok(ok(produced.content_type, produced.bytes, "tencent-ci"))
}

/// Processing upon upload without Pic-Operations: `PUT /<key>?ci-process=…` with the image
/// as the body. The operation runs on the body first; only when it succeeds is the body
/// stored at `<key>` (the pages: "并可将原图存入到 COS"), and the operation's own answer (as
/// in download) is the response.
pub async fn upload_query(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
    spec: &'static OpSpec,
    body: Body,
) -> Result<Response, ApiError> {
    let route = state.routes.find(spec.name).ok_or_else(internal)?.clone();
    if !spec.supports(Mode::UploadQuery) {
        return Err(unsupported(spec, Mode::UploadQuery));
    }
    let values = spec.decode_query(&ctx.raw_query)?;
    let (bucket, key) = (ctx.target.bucket.clone(), ctx.target.key.clone());
    if key.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            "processing upon upload needs an object key",
        ));
    }
    authorize_actions(
        state,
        account,
        &spec.actions(Mode::UploadQuery),
        |a| spec.action_names(a),
        |_| vec![(bucket.clone(), key.clone())],
        &bucket,
    )?;
    let limit = spec
        .limits
        .max_input_bytes
        .min(state.config.max_object_bytes);
    let too_large = |what: &str, size: u64| {
        ApiError::new(
            ErrorCode::ImageTooLarge,
            format!("{} takes at most {limit} bytes; {what} {size}", spec.name),
        )
    };
    let declared = ctx
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(size) = declared.filter(|&n| n > limit) {
        return Err(too_large("Content-Length is", size));
    }
    let input = read_body(body, limit).await.map_err(|e| {
        if e.code == ErrorCode::EntityTooLarge.as_str() {
            too_large("the body has at least", limit.saturating_add(1))
        } else {
            e
        }
    })?;
    let produced = run_blocking(state, vec![(route, values)], input.clone()).await?;
    let produced = produced.into_iter().next().ok_or_else(internal)?;
    let content_type = ctx
        .header("content-type")
        .map(str::to_string)
        .unwrap_or_else(|| processing::original(&input).content_type.to_string());
    state
        .storage
        .put_bytes(&bucket, &key, &content_type, input)
        .await?;
    Ok(ok(produced.content_type, produced.bytes, "tencent-ci"))
}

/// Download processing of an operation without an input (`GET /?ci-process=…` on the
/// bucket): no object is read, so only the operation's own actions are authorized, on the
/// bucket (`On::Ci`), as for a detect-url.
async fn without_input(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
    spec: &'static OpSpec,
    route: Served,
    values: ParamValues,
    detect: bool,
) -> Result<Response, ApiError> {
    if detect || !ctx.target.key.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!(
                "{} takes no object or detect-url; send it to the bucket (`GET /?ci-process={}`)",
                spec.name, spec.name
            ),
        ));
    }
    let bucket = ctx.target.bucket.clone();
    authorize_actions(
        state,
        account,
        &spec.actions(Mode::Download),
        |a| spec.action_names(a),
        |_| Vec::new(),
        &bucket,
    )?;
    let produced = run_blocking(state, vec![(route, values)], Bytes::new()).await?;
    let produced = produced.into_iter().next().ok_or_else(internal)?;
    Ok(ok(produced.content_type, produced.bytes, "tencent-ci"))
}

/// One rule of a Pic-Operations header, resolved.
struct Plan {
    route: Served,
    values: ParamValues,
    bucket: String,
    key: String,
}

/// Processing upon upload (`PUT` + Pic-Operations) or in the cloud (`POST ?image_process`):
/// every rule runs first, and only when all succeed are the original (upload) and the
/// results stored, so a bad request stores nothing.
pub async fn persist(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
    mode: Mode,
    body: Option<Body>,
) -> Result<Response, ApiError> {
    let header = ctx.header(PIC_OPERATIONS_HEADER).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidPicOperations,
            "image_process needs a Pic-Operations header",
        )
    })?;
    let ops = PicOperations::parse(header)?;
    let specs = state.routes.specs();
    let resolved = ops.resolve_rules(&specs)?;
    let (src_bucket, src_key) = (ctx.target.bucket.clone(), ctx.target.key.clone());
    if src_key.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            "processing needs an object key",
        ));
    }
    let mut plans = Vec::new();
    for (rule, (spec, values)) in ops.rules.iter().zip(resolved) {
        if !spec.supports(mode) {
            return Err(unsupported(spec, mode));
        }
        let route = state.routes.find(spec.name).ok_or_else(internal)?.clone();
        let bucket = rule.bucket.clone().unwrap_or_else(|| src_bucket.clone());
        if !state.has_bucket(&bucket) {
            return Err(ApiError::new(
                ErrorCode::NoSuchBucket,
                format!("the destination bucket {bucket:?} does not exist"),
            ));
        }
        let key = resolve_fileid(&src_key, &rule.fileid)?;
        plans.push(Plan {
            route,
            values,
            bucket,
            key,
        });
    }

    // Each rule needs its mode's actions: reads on the source, writes on the source (upload)
    // and on the destination.
    let base: &[&'static str] = if mode == Mode::Upload {
        &["cos:PutObject"]
    } else {
        &["cos:GetObject"]
    };
    let source = (src_bucket.clone(), src_key.clone());
    authorize_actions(
        state,
        account,
        base,
        |a| vec![a],
        |_| vec![source.clone()],
        &src_bucket,
    )?;
    for plan in &plans {
        let spec = plan.route.spec;
        let dest = (plan.bucket.clone(), plan.key.clone());
        authorize_actions(
            state,
            account,
            &spec.actions(mode),
            |a| spec.action_names(a),
            |action| match action {
                "cos:PutObject" if mode == Mode::Upload => vec![source.clone(), dest.clone()],
                "cos:PutObject" => vec![dest.clone()],
                _ => vec![source.clone()],
            },
            &src_bucket,
        )?;
    }

    // A larger input fails the strictest rule that does not ignore errors, and with it the
    // whole request, so it is refused before a byte of it is read. With ignore-error a rule
    // answers the original, so then only the object limit applies.
    let strictest = plans
        .iter()
        .filter(|p| !processing::ignores_errors(p.route.spec, &p.values))
        .map(|p| (p.route.spec.limits.max_input_bytes, p.route.spec.name))
        .min();
    let max_object = state.config.max_object_bytes;
    let too_large = |size: u64, what: &str| match strictest {
        Some((limit, name)) if limit < max_object => ApiError::new(
            ErrorCode::ImageTooLarge,
            format!("{name} takes at most {limit} bytes; {what} {size}"),
        ),
        _ => ApiError::new(
            ErrorCode::EntityTooLarge,
            format!("the body is larger than max_object_bytes = {max_object} bytes; {what} {size}"),
        ),
    };
    let read_limit = strictest.map_or(max_object, |(limit, _)| limit.min(max_object));
    let (input, original_etag) = match (mode, body) {
        (Mode::Upload, Some(body)) => {
            let declared = ctx
                .header("content-length")
                .and_then(|v| v.trim().parse::<u64>().ok());
            if let Some(size) = declared.filter(|&n| n > read_limit) {
                return Err(too_large(size, "Content-Length is"));
            }
            let input = read_body(body, read_limit).await.map_err(|e| {
                if e.code == ErrorCode::EntityTooLarge.as_str() {
                    too_large(read_limit.saturating_add(1), "the body has at least")
                } else {
                    e
                }
            })?;
            (input, None)
        }
        _ => {
            let object = state.storage.get(&src_bucket, &src_key, None).await?;
            if object.meta.size > read_limit {
                return Err(too_large(object.meta.size, "the object has"));
            }
            let etag = object.meta.etag.clone();
            (object.body.into_bytes(read_limit).await?, Some(etag))
        }
    };
    let work: Vec<(Served, ParamValues)> = plans
        .iter()
        .map(|p| (p.route.clone(), p.values.clone()))
        .collect();
    let produced = run_blocking(state, work, input.clone()).await?;

    let original_etag = match original_etag {
        Some(etag) => etag,
        None => {
            let content_type = ctx
                .header("content-type")
                .map(str::to_string)
                .unwrap_or_else(|| processing::original(&input).content_type.to_string());
            state
                .storage
                .put_bytes(&src_bucket, &src_key, &content_type, input.clone())
                .await?
                .etag
        }
    };
    let mut objects = Vec::new();
    for (plan, out) in plans.iter().zip(produced) {
        // An operation answering a document stores an image in these modes (QRcode's rule
        // keeps the picture; its findings are what it adds to the answer): the input stands
        // in for it.
        let out = match plan.route.spec.output {
            Output::Image { .. } => out,
            Output::Xml { .. } | Output::Json { .. } => processing::original(&input),
        };
        let size = out.bytes.len() as i64;
        let meta = state
            .storage
            .put_bytes(
                &plan.bucket,
                &plan.key,
                out.content_type,
                Bytes::from(out.bytes),
            )
            .await?;
        let mut object = ProcessedObject::default();
        object.key = plan.key.clone();
        object.location = state.location(&plan.bucket, &plan.key);
        object.format = out.format.map(str::to_string);
        if out.format.is_some() {
            object.width = Some(i64::from(out.width));
            object.height = Some(i64::from(out.height));
        }
        object.size = size;
        object.quality = (out.format == Some("jpg")).then_some(i64::from(processors::JPEG_QUALITY));
        object.etag = meta.etag;
        objects.push(object);
    }

    let mut original = OriginalInfo::default();
    original.key = src_key.clone();
    original.location = state.location(&src_bucket, &src_key);
    original.etag = original_etag;
    // The input's header: the original's info, and what the additions below are filled for.
    let info = processors::probe(&input).ok();
    if ops.is_pic_info {
        original.image_info = info.map(|info| {
            let mut image = ImageInfo::default();
            image.format = info.format.name().to_string();
            image.width = i64::from(info.width);
            image.height = i64::from(info.height);
            image.orientation = Some(0);
            image
        });
    }
    let mut result = UploadResult::default();
    result.original_info = Some(original);
    if !objects.is_empty() {
        let mut results = ProcessResults::default();
        results.object = objects;
        result.process_results = Some(results);
    }
    // What the rules' operations add to the answer (`output.upload_result`), filled for each
    // rule's request as a download answer would be.
    let limits: Vec<processors::ImageLimits> = plans
        .iter()
        .map(|p| processors::ImageLimits::of(&p.route.spec.limits))
        .collect();
    let asks: Vec<_> = plans
        .iter()
        .map(|p| move |param: &str, word: &str| p.route.spec.asks(&p.values, param, word))
        .collect();
    let added: Vec<Option<crate::generic::Added<'_>>> = plans
        .iter()
        .zip(asks.iter().zip(&limits))
        .map(|(p, (asks, limits))| {
            Some(crate::generic::Added {
                nodes: p.route.spec.upload_result?,
                fill: crate::generic::Fill {
                    image: info.as_ref()?,
                    request: Some(crate::generic::Request {
                        values: &p.values,
                        input: &input,
                        limits,
                    }),
                    words: asks,
                    picture: None,
                },
            })
        })
        .collect();
    let body = if added.iter().all(Option::is_none) {
        result.to_xml()
    } else {
        crate::generic::upload_result(&result, &added)
    };
    Ok(ok("application/xml", body, "tencent-ci"))
}

/// Runs every `(route, values)` on `input` within the processing budget.
async fn run_blocking(
    state: &MockState,
    work: Vec<(Served, ParamValues)>,
    input: Bytes,
) -> Result<Vec<Produced>, ApiError> {
    processing::run_jobs(&state.jobs, work, input).await
}

fn unsupported(spec: &OpSpec, mode: Mode) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidArgument,
        format!("{} does not support processing in {mode} mode", spec.name),
    )
}

fn internal() -> ApiError {
    ApiError::code(ErrorCode::InternalError)
}
