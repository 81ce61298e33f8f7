//! CVE IDs: reserve (sequential or not), list, read, and change an ID's state, with the
//! quota and ownership rules of the service.

use super::*;

pub(super) async fn reserve(
    State(svc): State<FakeCveServices>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let mut inner = svc.lock();
    let actor = authenticate(&inner, &headers)?;
    actor.may_write()?;
    let amount: u64 = match q.get("amount") {
        None => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "NO_AMOUNT",
                "The amount query parameter is required and needs to be above 0.",
            ));
        }
        Some(a) => a.parse().ok().filter(|&a| a > 0).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_AMOUNT",
                "The amount query parameter needs to be above 0.",
            )
        })?,
    };
    let Some(year) = q.get("cve_year") else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "NO_YEAR",
            "The cve_year query parameter is required [1999-present+1].",
        ));
    };
    let this_year = jiff::Zoned::now().year();
    let year: u16 = year
        .parse::<i16>()
        .ok()
        .filter(|y| (1999..=this_year + 1).contains(y))
        .and_then(|y| u16::try_from(y).ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "CANNOT_RESERVE_FOR_YEAR",
                format!("IDR is not currently configured to reserve IDs for year {year}."),
            )
        })?;
    let Some(short_name) = q.get("short_name") else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "NO_ORG_SHORTNAME",
            "The short_name query parameter is required to reserve CVE IDs.",
        ));
    };
    let Some(owner) = inner
        .config
        .orgs
        .iter()
        .find(|o| &o.short_name == short_name)
        .cloned()
    else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ORG_DNE",
            format!(
                "The organization '{short_name}' designated by the shortname query parameter does not exist."
            ),
        ));
    };
    if owner.short_name != actor.org && !actor.secretariat() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "ORG_CANNOT_RESERVE_FOR_OTHER",
            "The organization designated by the CVE-API-ORG header is not allowed to reserve IDs for the organization specified by the short_name query parameter.",
        ));
    }
    let sequential = match q.get("batch_type").map(String::as_str) {
        None if amount > 1 => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "NO_BATCH_TYPE",
                "The batch_type query parameter must be specified when reserving more than one CVE ID. Available values are: sequential, nonsequential, non-sequential.",
            ));
        }
        None | Some("sequential") => true,
        Some("nonsequential" | "non-sequential") => false,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_BATCH_TYPE",
                "The batch_type provided is invalid. Available values are sequential, nonsequential, non-sequential.",
            ));
        }
    };
    if !sequential && amount > 10 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "OVER_NONSEQUENTIAL_MAX_AMOUNT",
            "The amount query parameter exceeds the maximum amount allowed. Only amounts of 10 ids or less can be reserved at a time.",
        ));
    }
    let reserved_now = reserved_count(&inner, &owner.short_name);
    let available = owner.id_quota.saturating_sub(reserved_now);
    if amount > available {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "EXCEEDED_ID_QUOTA",
            "The amount requested would exceed the organization's ID quota. No more IDs can be reserved until the number of IDs in the Reserved state goes below the ID quota or the ID quota is raised.",
        )
        .with_details(json!({"id_quota": owner.id_quota, "total_reserved": reserved_now, "available": available})));
    }

    let (first, size) = (inner.config.first_number, inner.config.range_size);
    let end = first.saturating_add(size);
    let now = now();
    let mut made = Vec::new();
    for _ in 0..amount {
        let number = if sequential {
            let next = inner.next_sequential.get(&year).copied().unwrap_or(first);
            // Skip numbers taken by non-sequential reservations.
            let mut n = next;
            while n < end && inner.ids.contains_key(&CveId::new(year, n)) {
                n += 1;
            }
            (n < end).then_some(n)
        } else {
            free_random(&inner, year, first, end)
        };
        let Some(number) = number else { break };
        if sequential {
            inner.next_sequential.insert(year, number + 1);
        }
        let entry = IdEntry {
            id: CveId::new(year, number),
            owner: owner.short_name.clone(),
            requested_by_cna: actor.org.clone(),
            requested_by_user: actor.username.clone(),
            requester_uuid: actor.user_uuid.clone(),
            state: IdState::Reserved,
            reserved: now.clone(),
            modified: now.clone(),
            record: None,
        };
        made.push(entry.full());
        inner.ids.insert(entry.id.clone(), entry);
    }
    if made.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "YEAR_RANGE_FULL",
            format!(
                "IDR cannot currently reserve IDs for year {year} as the range it's allowed to reserve from is full."
            ),
        ));
    }
    let remaining = owner
        .id_quota
        .saturating_sub(reserved_count(&inner, &owner.short_name));
    if (made.len() as u64) < amount {
        let body = json!({
            "error": "RESERVED_PARTIAL_AMOUNT",
            "message": "Only a partial amount of CVE IDs were reserved because there are not enough IDs available in the configured range for IDR to reserve the full amount.",
            "details": {"amount_reserved": made.len()},
            "cve_ids": made,
        });
        return Ok((StatusCode::PARTIAL_CONTENT, Json(body)).into_response());
    }
    ok(json!({"cve_ids": made, "meta": {"remaining_quota": remaining}}))
}

pub(super) fn free_random(inner: &Inner, year: u16, first: u64, end: u64) -> Option<u64> {
    let mut rng = rand::thread_rng();
    // Random probes first; a nearly full range falls back to a scan.
    for _ in 0..64 {
        let n = rng.gen_range(first..end);
        if !inner.ids.contains_key(&CveId::new(year, n)) {
            return Some(n);
        }
    }
    (first..end).find(|n| !inner.ids.contains_key(&CveId::new(year, *n)))
}

pub(super) fn reserved_count(inner: &Inner, org: &str) -> u64 {
    inner
        .ids
        .values()
        .filter(|e| e.owner == org && e.state == IdState::Reserved)
        .count() as u64
}

pub(super) async fn list_ids(
    State(svc): State<FakeCveServices>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let inner = svc.lock();
    let actor = authenticate(&inner, &headers)?;
    let state = match q.get("state").map(|s| s.to_ascii_uppercase()) {
        None => None,
        Some(s) => Some(
            serde_json::from_value::<IdState>(Value::String(s))
                .map_err(|_| ApiError::bad_input("state", "query", "Invalid value"))?,
        ),
    };
    let year = match q.get("cve_id_year") {
        None => None,
        Some(y) => Some(
            y.parse::<u16>()
                .map_err(|_| ApiError::bad_input("cve_id_year", "query", "Invalid value"))?,
        ),
    };
    let page = match q.get("page") {
        None => 1,
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|&p| p >= 1)
            .ok_or_else(|| ApiError::bad_input("page", "query", "Invalid value"))?,
    };
    let matching: Vec<&IdEntry> = inner
        .ids
        .values()
        .filter(|e| actor.owns(e))
        .filter(|e| state.is_none_or(|s| e.state == s))
        .filter(|e| year.is_none_or(|y| e.id.year() == y))
        .collect();
    let size = inner.config.page_size.max(1);
    let items: Vec<Value> = matching
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|e| e.full())
        .collect();
    let mut body = Map::new();
    body.insert("cve_ids".into(), Value::Array(items));
    // Like the service, pagination fields only when the result spans several pages; the
    // schema types prevPage/nextPage as integers, so absent ends are left out, not null.
    if matching.len() > size {
        let pages = matching.len().div_ceil(size);
        body.insert("totalCount".into(), json!(matching.len()));
        body.insert("itemsPerPage".into(), json!(size));
        body.insert("pageCount".into(), json!(pages));
        body.insert("currentPage".into(), json!(page));
        if page > 1 {
            body.insert("prevPage".into(), json!(page - 1));
        }
        if page < pages {
            body.insert("nextPage".into(), json!(page + 1));
        }
    }
    ok(Value::Object(body))
}

pub(super) async fn get_id(
    State(svc): State<FakeCveServices>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Answer {
    let inner = svc.lock();
    let actor = authenticate_optional(&inner, &headers)?;
    let id = parse_id(&raw)?;
    let entry = inner.ids.get(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "CVE_ID_NOT_FOUND",
            format!("{id} not found"),
        )
    })?;
    match actor {
        Some(a) if a.owns(entry) => ok(entry.full()),
        _ => ok(entry.partial()),
    }
}

pub(super) async fn put_id(
    State(svc): State<FakeCveServices>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let mut inner = svc.lock();
    let actor = authenticate(&inner, &headers)?;
    actor.may_write()?;
    let id = parse_id(&raw)?;
    let (owner, has_record) = {
        let entry = inner.ids.get(&id).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "CVE_ID_NOT_FOUND",
                format!("{id} not found"),
            )
        })?;
        if !actor.owns(entry) {
            return Err(ApiError::not_own(&actor.org, &id));
        }
        (entry.owner.clone(), entry.record.is_some())
    };
    let Some(raw_state) = q.get("state") else {
        return Err(ApiError::bad_input("state", "query", "Invalid value"));
    };
    if has_record {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "CANNOT_CHANGE_CVE_ID_WITH_RECORD",
            format!(
                "A record was found for {id}. A CVE ID cannot be changed once a record exists for it. Instead, it changes according to the record."
            ),
        ));
    }
    let state = match raw_state.to_ascii_uppercase().as_str() {
        "REJECTED" => IdState::Rejected,
        "RESERVED" => {
            let quota = inner
                .config
                .orgs
                .iter()
                .find(|o| o.short_name == owner)
                .map_or(0, |o| o.id_quota);
            let current = inner.ids.get(&id).map(|e| e.state);
            if current != Some(IdState::Reserved) && reserved_count(&inner, &owner) >= quota {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "TRANSITION_STATE_RESERVED_NO_QUOTA",
                    "A CVE ID state cannot be changed to RESERVED if the owning organization has no remaining quota.",
                ));
            }
            IdState::Reserved
        }
        other => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_STATE",
                format!("State '{other}' is invalid."),
            ));
        }
    };
    let now = now();
    let entry = inner.ids.get_mut(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "CVE_ID_NOT_FOUND",
            format!("{id} not found"),
        )
    })?;
    entry.state = state;
    entry.modified = now;
    ok(json!({"message": format!("{id} was successfully updated."), "updated": entry.full()}))
}

// ---- records ------------------------------------------------------------------------------
