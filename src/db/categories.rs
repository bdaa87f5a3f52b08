use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::catalog::Category;

/// All categories by name. (No product counts: at a million products counting them takes
/// seconds, and the list is shown at every login.)
pub async fn list(ex: impl PgExecutor<'_>) -> sqlx::Result<Vec<Category>> {
    sqlx::query_as(
        "select c.id, c.name, c.slug, c.created_at
         from categories c order by c.name",
    )
    .fetch_all(ex)
    .await
}

pub async fn by_id(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Category>> {
    sqlx::query_as(
        "select c.id, c.name, c.slug, c.created_at
         from categories c where c.id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await
}

pub async fn insert(ex: impl PgExecutor<'_>, name: &str, slug: &str) -> sqlx::Result<Category> {
    sqlx::query_as(
        "insert into categories (name, slug) values ($1, $2)
         returning id, name, slug, created_at",
    )
    .bind(name)
    .bind(slug)
    .fetch_one(ex)
    .await
}

pub async fn rename(
    ex: impl PgExecutor<'_>,
    id: Uuid,
    name: &str,
    slug: &str,
) -> sqlx::Result<Option<Category>> {
    sqlx::query_as(
        "update categories c set name = $2, slug = $3 where c.id = $1
         returning c.id, c.name, c.slug, c.created_at",
    )
    .bind(id)
    .bind(name)
    .bind(slug)
    .fetch_optional(ex)
    .await
}

/// Deletes a category that holds no product at all, archived ones included.
/// Returns false when it was not empty (or not there).
pub async fn delete_if_empty(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "delete from categories c where c.id = $1
         and not exists (select 1 from products p where p.category_id = c.id)",
    )
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}
