//! What every handler shares: the application and the web front end's own settings.

use embargo_app::App;

/// The web front end's own configuration (HTTP only; everything else is the
/// application's [`embargo_app::Settings`]), fixed at start.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Rate limits per client address on intake and sign-in.
    pub rate_limits: crate::limit::RateLimits,
    /// Proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: crate::limit::TrustedProxies,
}

/// Shared by all handlers; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: WebConfig,
}

impl AppState {
    /// `scheme://host[:port]` of the base URL, as browsers send it in `Origin`:
    /// cross-origin POSTs are measured against it.
    pub fn origin(&self) -> &str {
        let base = self.app.settings().base_url.trim_end_matches('/');
        let authority = base.find("://").map_or(0, |i| i + 3);
        match base[authority..].find('/') {
            Some(i) => &base[..authority + i],
            None => base,
        }
    }

    /// Cookies are `Secure` whenever the site is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.app.settings().base_url.starts_with("https://")
    }
}
