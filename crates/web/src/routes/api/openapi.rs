//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of `/api/v1`, generated from
//! the handlers' `#[utoipa::path]` attributes and the types they read and write (their
//! `ToSchema`), so that it cannot drift from the code. The tests keep a snapshot of it
//! (any change to the API surface shows in review) and check it against the router.

use std::sync::LazyLock;

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{IntoParams, Modify, OpenApi, ToResponse, ToSchema};

use super::{
    advisories, clocks, held, owner, reports, senders, statements, statistics, status, triage,
};
use crate::error::ErrorBody;

/// The document: every `/api/v1` handler, in the router's order.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Embargo API",
        version = "1.0.0",
        description = "Private vulnerability intake and coordinated disclosure. Reporting is \
            public; team endpoints take a per-user API token (`embargo token create --email \
            ...`) as `Authorization: Bearer <token>` (a session cookie is no credential \
            here); reporters use the token of their private status link. Errors are always \
            `{\"error\": {\"code\", \"message\"}}`. A report the caller may not see answers \
            404 exactly like one that does not exist."
    ),
    servers((url = "/api/v1")),
    paths(
        reports::create,
        reports::list,
        reports::show,
        reports::transition,
        reports::message,
        reports::record,
        reports::record_transition,
        reports::record_versions,
        reports::route,
        reports::merge,
        reports::split,
        clocks::show,
        clocks::exploited,
        clocks::draft,
        clocks::done,
        clocks::overdue,
        triage::decide,
        triage::confirm_many,
        owner::set,
        held::list,
        held::discard,
        senders::list,
        senders::add,
        senders::lift,
        statements::list,
        statements::add,
        statements::import,
        statements::export,
        statements::show,
        statements::update,
        statements::withdraw,
        statements::scan,
        status::show,
        status::reply,
        statistics::show,
        advisories::list,
        document,
    ),
    components(
        schemas(ErrorBody),
        responses(
            BadRequest,
            Unauthenticated,
            Forbidden,
            NotFound,
            Conflict,
            PayloadTooLarge,
            UploadTooLarge,
            UnsupportedMediaType,
            TooManyRequests,
            UpstreamRefused,
            Internal,
            Unavailable,
        )
    ),
    modifiers(&Common)
)]
pub struct ApiDoc;

/// The document as served, built once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    serde_json::to_string_pretty(&ApiDoc::openapi()).unwrap_or_else(|e| {
        // Only a type whose schema cannot be written could do this; the tests build it.
        tracing::error!(error = %e, "OpenAPI document");
        String::from("{}")
    })
});

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    tag = "openapi",
    responses((status = 200, description = "This document (OpenAPI 3.1).", body = Object))
)]
pub async fn document() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], DOCUMENT.as_str())
}

/// The path parameter of every `/reports/{id}` route (read by `TeamReport`).
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(
    dead_code,
    reason = "describes the path; the TeamReport extractor reads it"
)]
pub struct ReportPath {
    /// Report id, e.g. `EMB-7F3KQ2M9ZC4D`.
    id: String,
}

/// The path parameter of the reporter's `/status/{token}` routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(
    dead_code,
    reason = "describes the path; the handlers take it as a String"
)]
pub struct StatusPath {
    /// The reporter's status token: the last part of their status link (64 hex digits).
    token: String,
}

/// What every operation may answer and every team operation needs: the bearer scheme,
/// and the 500 and 503 answers any request can get.
struct Common;

impl Modify for Common {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.description =
            Some("A 64-character lowercase hex API token (`embargo token create`).".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                for (status, name) in [("500", Internal::NAME), ("503", Unavailable::NAME)] {
                    op.responses
                        .responses
                        .entry(status.into())
                        .or_insert_with(|| Ref::from_response_name(name).into());
                }
            }
        }
    }
}

/// An error answer: its status's description and the error body.
fn error_response(description: String, retry_after: bool) -> Response {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(ErrorBody::name())))
            .build(),
    );
    if retry_after {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                ))
                .description(Some("Seconds to wait before trying again."))
                .build(),
        );
    }
    response.build()
}

/// One reusable error answer per status (`components/responses`), named for what went
/// wrong; the handlers list those they can give.
macro_rules! error_responses {
    ($($name:ident $(+ $retry:ident)? => $description:expr;)*) => {$(
        #[doc = concat!("The `", stringify!($name), "` error answer.")]
        pub struct $name;

        impl $name {
            pub const NAME: &'static str = stringify!($name);
        }

        impl<'s> ToResponse<'s> for $name {
            fn response() -> (&'s str, RefOr<Response>) {
                let retry_after = false $(|| stringify!($retry) == "retry_after")?;
                (Self::NAME, error_response($description.into(), retry_after).into())
            }
        }
    )*};
}

error_responses! {
    BadRequest => "Invalid input (`invalid_input`, naming the field) or a body that is not \
        the expected JSON (`bad_request`, with the parser's message).";
    Unauthenticated => "No valid API token (`unauthenticated`).";
    Forbidden => "The caller can see the report but may not do this (`forbidden`).";
    NotFound => "No such report, or one the caller may not see (`not_found`): the two are \
        never told apart.";
    Conflict => "The lifecycle does not allow this step now (`transition_not_allowed`), or \
        the report changed meanwhile (`conflict`: reload and try again).";
    PayloadTooLarge => format!(
        "The body is larger than {} KiB (`payload_too_large`).",
        crate::router::BODY_LIMIT / 1024
    );
    UploadTooLarge => format!(
        "The VEX document or scanner report is larger than {} MiB (`payload_too_large`).",
        crate::extract::UPLOAD_LIMIT / (1024 * 1024)
    );
    UnsupportedMediaType => "The body is not `application/json` (`unsupported_media_type`).";
    TooManyRequests + retry_after => "Too many reports or replies from this address \
        (`rate_limited`); `Retry-After` says how many seconds to wait.";
    UpstreamRefused => "CVE Services refused or failed (`upstream_refused`); the message is \
        its answer.";
    Internal => "Internal error; the details are in the server log only (`internal`).";
    Unavailable + retry_after => "The database is unreachable or busy (`unavailable`); try \
        again after `Retry-After` seconds.";
}
