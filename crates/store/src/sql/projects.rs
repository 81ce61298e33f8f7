//! Projects and their teams, as imported from the projects data file: an upsert by
//! slug that makes the team exactly the file's list, and the lookups.

use async_trait::async_trait;
use embargo_domain::ids::{Email, ProjectId, ProjectSlug};
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::codec::{Key, email, optional_email, slug};
use super::{SqlStore, Tx};
use crate::model::{Project, ProjectInput, UpsertOutcome};
use crate::{Projects, Result, StoreError};

const PROJECT_SELECT: &str = "SELECT id, slug, name, security_email, users_list, security_model_url, policy, trusted FROM projects";

/// A project row without its team.
fn decode_project(row: &AnyRow) -> Result<Project> {
    let policy: String = row.try_get("policy")?;
    Ok(Project {
        id: ProjectId(row.try_get("id")?),
        slug: slug(&row.try_get::<String, _>("slug")?)?,
        name: row.try_get("name")?,
        security_email: optional_email(row.try_get("security_email")?)?,
        users_list: optional_email(row.try_get("users_list")?)?,
        security_model_url: row.try_get("security_model_url")?,
        policy: serde_json::from_str(&policy).map_err(|e| {
            StoreError::Corrupt(format!("stored project policy does not parse: {e}"))
        })?,
        team: Vec::new(),
        trusted: row.try_get::<i64, _>("trusted")? != 0,
    })
}

/// What writing a project's row did.
#[derive(Clone, Copy)]
enum RowWritten {
    Created(ProjectId),
    Updated(ProjectId),
    Unchanged(ProjectId),
}

impl RowWritten {
    fn id(self) -> ProjectId {
        match self {
            Self::Created(id) | Self::Updated(id) | Self::Unchanged(id) => id,
        }
    }
}

/// Inserts the project, or updates its row when a field differs (so that an
/// unchanged import writes nothing and reports `Unchanged`).
async fn write_project_row(tx: &mut Tx, input: &ProjectInput, now: i64) -> Result<RowWritten> {
    let policy = serde_json::to_string(&input.policy)
        .map_err(|e| StoreError::Corrupt(format!("policy does not serialize: {e}")))?;
    let existing = sqlx::query(&format!("{PROJECT_SELECT} WHERE slug = $1"))
        .bind(input.slug.as_str())
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| decode_project(&r))
        .transpose()?;
    let Some(p) = existing else {
        let row = sqlx::query(
            "INSERT INTO projects (slug, name, security_email, users_list, security_model_url, policy, \
             created_at, updated_at, trusted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(input.slug.as_str())
        .bind(&input.name)
        .bind(input.security_email.as_ref().map(Email::as_str))
        .bind(input.users_list.as_ref().map(Email::as_str))
        .bind(input.security_model_url.as_deref())
        .bind(&policy)
        .bind(now)
        .bind(now)
        .bind(i64::from(input.trusted))
        .fetch_one(&mut **tx)
        .await?;
        return Ok(RowWritten::Created(ProjectId(row.try_get("id")?)));
    };
    let same = p.name == input.name
        && p.security_email == input.security_email
        && p.users_list == input.users_list
        && p.security_model_url == input.security_model_url
        && p.policy == input.policy
        && p.trusted == input.trusted;
    if same {
        return Ok(RowWritten::Unchanged(p.id));
    }
    sqlx::query(
        "UPDATE projects SET name = $1, security_email = $2, users_list = $3, \
         security_model_url = $4, policy = $5, updated_at = $6, trusted = $8 WHERE id = $7",
    )
    .bind(&input.name)
    .bind(input.security_email.as_ref().map(Email::as_str))
    .bind(input.users_list.as_ref().map(Email::as_str))
    .bind(input.security_model_url.as_deref())
    .bind(&policy)
    .bind(now)
    .bind(p.id.0)
    .bind(i64::from(input.trusted))
    .execute(&mut **tx)
    .await?;
    Ok(RowWritten::Updated(p.id))
}

/// Makes the project's team exactly `team`, creating password-less users for new
/// addresses (they set a password through a setup link). Returns whether the
/// membership changed.
async fn set_team(tx: &mut Tx, project: ProjectId, team: &[Email], now: i64) -> Result<bool> {
    let mut wanted = Vec::with_capacity(team.len());
    for address in team {
        sqlx::query(
            "INSERT INTO users (email, name, org_team, password_hash, created_at) \
             VALUES ($1, $1, 0, NULL, $2) ON CONFLICT (email) DO NOTHING",
        )
        .bind(address.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?;
        let row = sqlx::query("SELECT id FROM users WHERE email = $1")
            .bind(address.as_str())
            .fetch_one(&mut **tx)
            .await?;
        wanted.push(row.try_get::<i64, _>("id")?);
    }
    wanted.sort_unstable();
    wanted.dedup();
    let current: Vec<i64> =
        sqlx::query("SELECT user_id FROM project_members WHERE project_id = $1")
            .bind(project.0)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get("user_id"))
            .collect::<Result<_, _>>()?;
    let mut changed = false;
    for user in current.iter().filter(|u| !wanted.contains(u)) {
        changed = true;
        sqlx::query("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2")
            .bind(project.0)
            .bind(user)
            .execute(&mut **tx)
            .await?;
    }
    for user in wanted.iter().filter(|u| !current.contains(u)) {
        changed = true;
        sqlx::query("INSERT INTO project_members (project_id, user_id) VALUES ($1, $2)")
            .bind(project.0)
            .bind(user)
            .execute(&mut **tx)
            .await?;
    }
    Ok(changed)
}

impl SqlStore {
    async fn team(&self, project: ProjectId) -> Result<Vec<Email>> {
        let rows = sqlx::query(
            "SELECT u.email FROM project_members m JOIN users u ON u.id = m.user_id \
             WHERE m.project_id = $1 ORDER BY u.email",
        )
        .bind(project.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| email(r.try_get("email")?)).collect()
    }

    async fn fetch_project(&self, column: &str, key: Key<'_>) -> Result<Option<Project>> {
        let sql = format!("{PROJECT_SELECT} WHERE {column} = $1");
        let query = key.bind_to(sqlx::query(&sql));
        let Some(row) = query.fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let mut project = decode_project(&row)?;
        project.team = self.team(project.id).await?;
        Ok(Some(project))
    }
}

#[async_trait]
impl Projects for SqlStore {
    async fn upsert_project(&self, input: &ProjectInput) -> Result<UpsertOutcome> {
        let now = Timestamp::now().as_microsecond();
        let mut tx = self.begin_write().await?;
        let row = write_project_row(&mut tx, input, now).await?;
        let team_changed = set_team(&mut tx, row.id(), &input.team, now).await?;
        tx.commit().await?;
        Ok(match row {
            RowWritten::Created(id) => UpsertOutcome::Created(id),
            RowWritten::Updated(id) => UpsertOutcome::Updated(id),
            RowWritten::Unchanged(id) if team_changed => UpsertOutcome::Updated(id),
            RowWritten::Unchanged(id) => UpsertOutcome::Unchanged(id),
        })
    }

    async fn project_by_slug(&self, slug: &ProjectSlug) -> Result<Option<Project>> {
        self.fetch_project("slug", Key::Text(slug.as_str())).await
    }

    async fn project_by_id(&self, id: ProjectId) -> Result<Option<Project>> {
        self.fetch_project("id", Key::Int(id.0)).await
    }

    async fn list_projects(&self) -> Result<Vec<Project>> {
        let mut projects: Vec<Project> = sqlx::query(&format!("{PROJECT_SELECT} ORDER BY slug"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(decode_project)
            .collect::<Result<_>>()?;
        // One query for every team, not one per project.
        let members = sqlx::query(
            "SELECT m.project_id, u.email FROM project_members m JOIN users u ON u.id = m.user_id \
             ORDER BY m.project_id, u.email",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in &members {
            let project_id: i64 = row.try_get("project_id")?;
            if let Some(p) = projects.iter_mut().find(|p| p.id.0 == project_id) {
                p.team.push(email(row.try_get("email")?)?);
            }
        }
        Ok(projects)
    }
}
