//! Every route, and the layers every response passes through: security headers, the
//! same-origin rule for writes, the body limit and the rendering of errors.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, ORIGIN, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::error::{AppError, ErrorBody, ErrorInfo};
use crate::extract::UPLOAD_LIMIT;
use crate::routes::{api, auth, public, team};
use crate::state::AppState;

/// Largest request body: room for a 256 KiB description plus form encoding. The
/// routes that take VEX documents and scanner reports (statements import, scans; API
/// and page) allow [`UPLOAD_LIMIT`] instead.
pub const BODY_LIMIT: usize = 512 * 1024;

/// The whole application.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(
            "/reports",
            post(api::reports::create).get(api::reports::list),
        )
        .route("/reports/{id}", get(api::reports::show))
        .route("/reports/{id}/transitions", post(api::reports::transition))
        .route("/reports/{id}/messages", post(api::reports::message))
        .route(
            "/reports/{id}/record",
            axum::routing::put(api::reports::record),
        )
        .route(
            "/reports/{id}/record/transitions",
            post(api::reports::record_transition),
        )
        .route(
            "/reports/{id}/record/versions",
            get(api::reports::record_versions),
        )
        .route("/reports/{id}/route", post(api::reports::route))
        .route("/reports/{id}/merge", post(api::reports::merge))
        .route("/reports/{id}/split", post(api::reports::split))
        .route("/reports/{id}/clocks", get(api::clocks::show))
        .route("/reports/{id}/exploited", post(api::clocks::exploited))
        .route("/reports/{id}/cra/{stage}", get(api::clocks::draft))
        .route("/reports/{id}/cra/{stage}/done", post(api::clocks::done))
        .route("/overdue", get(api::clocks::overdue))
        .route("/reports/{id}/triage", post(api::triage::decide))
        .route("/reports/{id}/owner", post(api::owner::set))
        .route("/triage/confirm", post(api::triage::confirm_many))
        .route("/held", get(api::held::list))
        .route("/held/discard", post(api::held::discard))
        .route("/senders", get(api::senders::list).post(api::senders::add))
        .route("/senders/{id}/lift", post(api::senders::lift))
        .route(
            "/projects/{slug}/statements",
            get(api::statements::list).post(api::statements::add),
        )
        .route(
            "/projects/{slug}/statements/import",
            post(api::statements::import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route(
            "/projects/{slug}/statements/export",
            get(api::statements::export),
        )
        .route(
            "/projects/{slug}/statements/{id}",
            get(api::statements::show)
                .put(api::statements::update)
                .delete(api::statements::withdraw),
        )
        .route(
            "/projects/{slug}/scans",
            post(api::statements::scan).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/status/{token}", get(api::status::show))
        .route("/status/{token}/messages", post(api::status::reply))
        .route("/statistics", get(api::statistics::show))
        .route("/advisories", get(api::advisories::list))
        .route("/openapi.json", get(api::openapi::document))
        // Bearer tokens only: a session cookie is no credential here, by construction
        // rather than by the path, which the nesting below strips of `/api/v1`.
        .layer(middleware::from_fn(crate::extract::bearer_only));

    Router::new()
        .route("/", get(public::home::page))
        .route("/healthz", get(public::health::check))
        .route("/static/style.css", get(public::assets::style))
        .route(
            "/report",
            get(public::report_form::page).post(public::report_form::submit),
        )
        .route(
            "/report/received",
            get(public::report_form::received_by_query),
        )
        .route(
            "/report/received/{token}",
            get(public::report_form::received),
        )
        .route(
            "/status/{token}",
            get(public::status::page).post(public::status::reply),
        )
        .route("/projects/{slug}", get(public::projects::page))
        .route(
            "/projects/{slug}/advisories.atom",
            get(public::feeds::project),
        )
        .route(
            "/projects/{slug}/security.txt",
            get(public::well_known::project_security_txt),
        )
        .route("/projects/{slug}/vex/{file}", get(public::vex::document))
        .route("/advisories", get(public::advisories::index))
        .route("/advisories.atom", get(public::feeds::organisation))
        .route(
            "/.well-known/security.txt",
            get(public::well_known::organisation_security_txt),
        )
        .route(
            "/.well-known/csaf/provider-metadata.json",
            get(public::well_known::provider_metadata),
        )
        .route(
            "/.well-known/csaf/white/",
            get(public::well_known::directory),
        )
        .route(
            "/.well-known/csaf/white/{file}",
            get(public::well_known::directory_file),
        )
        .route(
            "/.well-known/csaf/white/{year}/",
            get(public::well_known::year_directory),
        )
        .route(
            "/.well-known/csaf/white/{year}/{file}",
            get(public::well_known::document),
        )
        .route("/advisories/{cve}", get(public::advisories::show))
        .route("/login", get(auth::login::page).post(auth::login::submit))
        .route("/logout", post(auth::logout::submit))
        .route(
            "/setup/{token}",
            get(auth::setup::page).post(auth::setup::submit),
        )
        .route("/dashboard", get(team::dashboard::page))
        .route("/held", get(team::held::page))
        .route("/held/{id}/release", post(team::held::release))
        .route("/held/{id}/discard", post(team::held::discard))
        .route("/held/discard", post(team::held::discard_many))
        .route(
            "/senders",
            get(team::senders::page).post(team::senders::add),
        )
        .route("/senders/{id}/lift", post(team::senders::lift))
        .route("/statements", get(team::statements::index))
        .route("/statistics", get(team::statistics::page))
        .route("/statistics.csv", get(team::statistics::csv))
        .route(
            "/projects/{slug}/statements",
            get(team::statements::page).post(team::statements::add),
        )
        .route(
            "/projects/{slug}/statements/import",
            post(team::statements::import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route(
            "/projects/{slug}/statements/export",
            get(team::statements::export),
        )
        .route(
            "/projects/{slug}/statements/{id}",
            get(team::statements::edit_page).post(team::statements::edit),
        )
        .route(
            "/projects/{slug}/statements/{id}/withdraw",
            post(team::statements::withdraw),
        )
        .route(
            "/projects/{slug}/scans",
            post(team::statements::scan).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/reports/{id}", get(team::show::page))
        .route("/reports/{id}/reply", post(team::actions::reply))
        .route("/reports/{id}/note", post(team::actions::note))
        .route("/reports/{id}/transition", post(team::actions::transition))
        .route("/reports/{id}/record", post(team::actions::record))
        .route(
            "/reports/{id}/record/transition",
            post(team::actions::record_transition),
        )
        .route("/reports/{id}/route", post(team::actions::route))
        .route("/reports/{id}/merge", post(team::actions::merge))
        .route("/reports/{id}/split", post(team::actions::split))
        .route("/reports/{id}/triage", post(team::actions::triage))
        .route("/reports/{id}/owner", post(team::actions::owner))
        .route("/reports/{id}/exploited", post(team::clocks::exploited))
        .route("/reports/{id}/cra/{stage}", get(team::clocks::draft_text))
        .route("/reports/{id}/cra/{stage}/done", post(team::clocks::done))
        .route("/overdue", get(team::overdue::page))
        .route("/dashboard/triage", post(team::dashboard::confirm_many))
        .route(
            "/reports/{id}/attachments/{n}",
            get(team::attachments::download),
        )
        .nest("/api/v1", api)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            crate::limit::Limiter::new(state.config.rate_limits)
                .trusting(state.config.trusted_proxies.clone()),
            crate::limit::limit,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), same_origin))
        .layer(middleware::from_fn(render_errors))
        .layer(middleware::from_fn_with_state(
            state.secure_cookies(),
            security_headers,
        ))
        .with_state(state)
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// Refuses writes that a browser sent from another site. SameSite cookies and CSRF
/// tokens already stop them; this is the third, independent line.
async fn same_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe
        && let Some(origin) = req.headers().get(ORIGIN)
        && origin.as_bytes() != state.origin().as_bytes()
    {
        return AppError::Forbidden("cross-origin requests are not accepted".into())
            .into_response();
    }
    next.run(req).await
}

/// Renders an `AppError` as JSON under `/api` and as a page elsewhere (sending people
/// who must sign in to the login page).
async fn render_errors(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let Some(info) = res.extensions().get::<ErrorInfo>().cloned() else {
        return res;
    };
    let status = res.status();
    // Headers the error set for the client (Retry-After) survive the re-rendering.
    let retry_after = res.headers().get(axum::http::header::RETRY_AFTER).cloned();
    let mut rendered = if api {
        (status, axum::Json(ErrorBody { error: info })).into_response()
    } else if status == StatusCode::UNAUTHORIZED {
        return Redirect::to("/login").into_response();
    } else {
        crate::routes::error_page(status, &info.message)
    };
    if let Some(v) = retry_after {
        rendered
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, v);
    }
    rendered
}

/// Headers every response carries; `https` is whether the base URL is https.
async fn security_headers(State(https): State<bool>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // `base-uri 'none'`: an injected `<base>` cannot redirect the pages' relative links
    // and form actions elsewhere (no page uses one).
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    if https {
        // Served over https (the base URL says so): browsers keep to https for a year,
        // so a network attacker cannot strip it on a later visit. Not on http: a
        // development or test site would be unreachable for a year.
        h.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Status and setup links are capabilities in the URL: never send them to another
    // site. Not "no-referrer": under it browsers send `Origin: null` on form posts,
    // and the same-origin check below would refuse every form.
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // Only public advisory pages opt in to caching; everything else may be private.
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
