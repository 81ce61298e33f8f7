//! Records: read, publish, update and reject a CVE record's CNA container, with the
//! service's prechecks and the structural check of the container.

use super::*;

pub(super) async fn get_record(
    State(svc): State<FakeCveServices>,
    Path(raw): Path<String>,
) -> Answer {
    let inner = svc.lock();
    let id = parse_id(&raw)?;
    match inner.ids.get(&id).and_then(|e| e.record.clone()) {
        Some(record) => ok(record),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "CVE_RECORD_DNE",
            "The cve record for the cve id does not exist.",
        )),
    }
}

pub(super) async fn create_cna(
    svc: State<FakeCveServices>,
    h: HeaderMap,
    id: Path<String>,
    body: Json<Value>,
) -> Answer {
    write_record(svc.0, h, id.0, body.0, ContainerKind::Published, false).await
}

pub(super) async fn update_cna(
    svc: State<FakeCveServices>,
    h: HeaderMap,
    id: Path<String>,
    body: Json<Value>,
) -> Answer {
    write_record(svc.0, h, id.0, body.0, ContainerKind::Published, true).await
}

pub(super) async fn create_reject(
    svc: State<FakeCveServices>,
    h: HeaderMap,
    id: Path<String>,
    body: Json<Value>,
) -> Answer {
    write_record(svc.0, h, id.0, body.0, ContainerKind::Rejected, false).await
}

pub(super) async fn update_reject(
    svc: State<FakeCveServices>,
    h: HeaderMap,
    id: Path<String>,
    body: Json<Value>,
) -> Answer {
    write_record(svc.0, h, id.0, body.0, ContainerKind::Rejected, true).await
}

/// Creates (`update == false`) or replaces a record from a CNA container.
pub(super) async fn write_record(
    svc: FakeCveServices,
    headers: HeaderMap,
    raw: String,
    body: Value,
    kind: ContainerKind,
    update: bool,
) -> Answer {
    // Everything that needs no schema check first, under the lock.
    let id = {
        let inner = svc.lock();
        let actor = authenticate(&inner, &headers)?;
        actor.may_write()?;
        let id = parse_id(&raw)?;
        precheck(&inner, &actor, &id, kind, update)?;
        id
    };
    if !body.get("cnaContainer").is_some_and(Value::is_object) {
        return Err(ApiError::bad_input(
            "cnaContainer",
            "body",
            "cnaContainer must be an object",
        ));
    }
    // The check may run an external validator: off the async workers, outside the lock.
    let check = svc.check.clone();
    let checked_body = body.clone();
    let verdict = tokio::task::spawn_blocking(move || check(kind, &checked_body))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "Internal Server Error",
            )
        })?;
    if let Err(errors) = verdict {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_JSON_SCHEMA",
            "CVE JSON schema validation FAILED.",
        )
        .with_details(json!({"errors": errors})));
    }

    let mut inner = svc.lock();
    let actor = authenticate(&inner, &headers)?;
    // Checked again: another request may have changed the ID while the schema ran.
    precheck(&inner, &actor, &id, kind, update)?;
    let org_uuid = inner
        .config
        .orgs
        .iter()
        .find(|o| Some(&o.short_name) == inner.ids.get(&id).map(|e| &e.owner))
        .map_or_else(|| actor.org_uuid.clone(), |o| o.uuid.clone());
    let entry = inner.ids.get_mut(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "CVEID_DNE",
            "The cve id does not exist.",
        )
    })?;
    let now = now();
    let mut container = body
        .get("cnaContainer")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // providerMetadata is the service's to set (OpenAPI: "If provided, it will be overwritten").
    container.insert(
        "providerMetadata".into(),
        json!({"orgId": org_uuid, "shortName": entry.owner, "dateUpdated": now}),
    );
    let previous_published = entry
        .record
        .as_ref()
        .and_then(|r| r.pointer("/cveMetadata/datePublished"))
        .cloned();
    let mut meta = json!({
        "cveId": id.to_string(),
        "assignerOrgId": org_uuid,
        "assignerShortName": entry.owner,
        "requesterUserId": entry.requester_uuid,
        "dateReserved": entry.reserved,
        "dateUpdated": now,
    });
    let (state, container) = match kind {
        ContainerKind::Published => {
            meta["state"] = json!("PUBLISHED");
            meta["datePublished"] = previous_published.unwrap_or_else(|| json!(now));
            (IdState::Published, container)
        }
        ContainerKind::Rejected => {
            meta["state"] = json!("REJECTED");
            meta["dateRejected"] = json!(now);
            // The 5.1 schema's cveMetadataRejected has no requesterUserId.
            if let Some(m) = meta.as_object_mut() {
                m.remove("requesterUserId");
            }
            if let Some(p) = previous_published {
                meta["datePublished"] = p;
            }
            (IdState::Rejected, container)
        }
    };
    let record = json!({
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": meta,
        "containers": {"cna": container},
    });
    entry.state = state;
    entry.modified = now;
    entry.record = Some(record.clone());
    let (key, verb) = if update {
        ("updated", "updated")
    } else {
        ("created", "created")
    };
    ok(json!({"message": format!("{id} record was successfully {verb}."), key: record}))
}

/// The rules of record creation and update that do not depend on the container.
pub(super) fn precheck(
    inner: &Inner,
    actor: &Actor,
    id: &CveId,
    kind: ContainerKind,
    update: bool,
) -> Result<(), ApiError> {
    let entry = inner.ids.get(id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "CVEID_DNE",
            "The cve id does not exist.",
        )
    })?;
    if !actor.owns(entry) {
        return Err(ApiError::not_own(&actor.org, id));
    }
    let exists = entry.record.is_some();
    match (update, exists) {
        (false, true) => {
            // cvelib relies on these statuses to fall back from create to update.
            let status = match kind {
                ContainerKind::Published => StatusCode::FORBIDDEN,
                ContainerKind::Rejected => StatusCode::BAD_REQUEST,
            };
            Err(ApiError::new(
                status,
                "CVE_RECORD_EXISTS",
                "The cve record for the cve id already exists.",
            ))
        }
        (true, false) => Err(ApiError::record_dne()),
        (false, false) if kind == ContainerKind::Rejected && entry.state != IdState::Reserved => {
            Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "CVE_UNSUPPORTED_RECORD_STATE",
                format!(
                    "Cannot create cve record in state {}.",
                    entry.state.as_str()
                ),
            ))
        }
        _ => Ok(()),
    }
}

// ---- organisations ------------------------------------------------------------------------

/// The built-in check: the required parts of the two container schemas, enough to turn away
/// what the real service would; tests install the full JSON schema through
/// [`FakeCveServices::with_container_check`].
pub fn structural_check(kind: ContainerKind, body: &Value) -> Result<(), Vec<Value>> {
    let mut errors = Vec::new();
    let mut err =
        |path: &str, message: &str| errors.push(json!({"instancePath": path, "message": message}));
    if let Some(o) = body.as_object() {
        for k in o.keys().filter(|k| k.as_str() != "cnaContainer") {
            err("", &format!("must NOT have additional properties ({k})"));
        }
    }
    let c = body.get("cnaContainer").cloned().unwrap_or(Value::Null);
    let non_empty = |k: &str| {
        c.get(k)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    let english = |k: &str| {
        c.get(k).and_then(Value::as_array).is_some_and(|a| {
            a.iter().any(|d| {
                d.get("lang")
                    .and_then(Value::as_str)
                    .is_some_and(|l| l.starts_with("en"))
                    && d.get("value")
                        .and_then(Value::as_str)
                        .is_some_and(|v| !v.is_empty())
            })
        })
    };
    match kind {
        ContainerKind::Published => {
            for k in ["descriptions", "affected", "references"] {
                if !non_empty(k) {
                    err(
                        "/cnaContainer",
                        &format!("must have required property '{k}' (a non-empty array)"),
                    );
                }
            }
            if non_empty("descriptions") && !english("descriptions") {
                err(
                    "/cnaContainer/descriptions",
                    "must contain an English description",
                );
            }
            if c.get("rejectedReasons").is_some() {
                err(
                    "/cnaContainer",
                    "must NOT have additional properties (rejectedReasons)",
                );
            }
        }
        ContainerKind::Rejected => {
            if !non_empty("rejectedReasons") {
                err(
                    "/cnaContainer",
                    "must have required property 'rejectedReasons' (a non-empty array)",
                );
            } else if !english("rejectedReasons") {
                err(
                    "/cnaContainer/rejectedReasons",
                    "must contain an English reason",
                );
            }
            if let Some(o) = c.as_object() {
                for k in o.keys() {
                    if !matches!(
                        k.as_str(),
                        "providerMetadata" | "rejectedReasons" | "replacedBy"
                    ) && !k.starts_with("x_")
                    {
                        err(
                            "/cnaContainer",
                            &format!("must NOT have additional properties ({k})"),
                        );
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
