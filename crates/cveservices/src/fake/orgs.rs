//! The organisation and its quota, as their own admins and the Secretariat see them.

use super::*;

pub(super) fn visible_org(
    inner: &Inner,
    headers: &HeaderMap,
    short_name: &str,
) -> Result<FakeOrg, ApiError> {
    let actor = authenticate(inner, headers)?;
    let org = inner
        .config
        .orgs
        .iter()
        .find(|o| o.short_name == short_name || o.uuid == short_name)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "ORG_DNE",
                format!("The organization '{short_name}' designated by the shortname query parameter does not exist."),
            )
        })?;
    if org.short_name != actor.org && !actor.secretariat() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "NOT_SAME_ORG_OR_SECRETARIAT",
            "This information can only be viewed by the users of the same organization or the Secretariat.",
        ));
    }
    Ok(org.clone())
}

pub(super) async fn get_quota(
    State(svc): State<FakeCveServices>,
    headers: HeaderMap,
    Path(short_name): Path<String>,
) -> Answer {
    let inner = svc.lock();
    let org = visible_org(&inner, &headers, &short_name)?;
    let reserved = reserved_count(&inner, &org.short_name);
    ok(json!({
        "id_quota": org.id_quota,
        "total_reserved": reserved,
        "available": org.id_quota.saturating_sub(reserved),
    }))
}

pub(super) async fn get_org(
    State(svc): State<FakeCveServices>,
    headers: HeaderMap,
    Path(short_name): Path<String>,
) -> Answer {
    let inner = svc.lock();
    let org = visible_org(&inner, &headers, &short_name)?;
    let created = "2022-01-01T00:00:00.000Z";
    ok(json!({
        "short_name": org.short_name,
        "name": org.name,
        "UUID": org.uuid,
        "authority": {"active_roles": org.roles},
        "policies": {"id_quota": org.id_quota},
        "time": {"created": created, "modified": created},
    }))
}

// ---- helpers ------------------------------------------------------------------------------
