//! Categories, products and the shape of a catalog query (filters, sort, keyset page).

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::tax::TaxType;
use crate::domain::values::{Sku, Slug, limits, parse_name, parse_text};
use crate::domain::{Error, Money};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Category {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Product {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub sku: String,
    pub description: String,
    pub price: Money,
    pub category_id: Uuid,
    pub category_name: String,
    pub stock_quantity: i32,
    pub in_stock: bool,
    pub image_url: Option<String>,
    pub is_archived: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// KRA's tax type (eTIMS): the VAT in its price.
    pub tax_type: TaxType,
    /// KRA's item class code (eTIMS `itemClsCd`); empty until an admin sets it.
    pub item_class: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Name,
    PriceLowHigh,
    PriceHighLow,
    Newest,
}

impl Sort {
    pub const ALL: [Sort; 4] = [
        Sort::Name,
        Sort::PriceLowHigh,
        Sort::PriceHighLow,
        Sort::Newest,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::PriceLowHigh => "price ↑",
            Sort::PriceHighLow => "price ↓",
            Sort::Newest => "newest",
        }
    }
}

/// Where the next page starts: the sort key and id of the last row shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    Name(String, Uuid),
    Price(Money, Uuid),
    Created(DateTime<Utc>, Uuid),
}

impl Cursor {
    pub fn after(product: &Product, sort: Sort) -> Cursor {
        match sort {
            Sort::Name => Cursor::Name(product.name.clone(), product.id),
            Sort::PriceLowHigh | Sort::PriceHighLow => Cursor::Price(product.price, product.id),
            Sort::Newest => Cursor::Created(product.created_at, product.id),
        }
    }

    fn fits(&self, sort: Sort) -> bool {
        matches!(
            (self, sort),
            (Cursor::Name(..), Sort::Name)
                | (Cursor::Price(..), Sort::PriceLowHigh | Sort::PriceHighLow)
                | (Cursor::Created(..), Sort::Newest)
        )
    }
}

/// The most units of one product a shop holds: more is a typing slip, not stock.
pub const MAX_STOCK: i32 = 1_000_000;

/// The one product outside the catalog (migration 33): a till line for something the shop
/// has not entered, at the price the cashier types, with no stock.
pub const OPEN_PRICE: Uuid = Uuid::from_u128(0xb);

pub const MAX_PAGE: i64 = 200;
/// How many matches of a text search are sorted and paged through (two pages); typing more
/// narrows. A word in 4% of a million products would otherwise read and sort 40,000 rows per
/// keystroke; 100 rather than 200 halves the rows read (BENCHMARKS.md, "Search").
pub const TEXT_MATCHES: i64 = 100;
/// Typed words are matched on their first this many characters: the database indexes the
/// starts of words up to this length (migration 8's `bytemtaani_search_terms`).
pub const SEARCH_TERM_CHARS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductQuery {
    /// Words (prefix-matched, as you type) or part of a name; empty for all.
    pub text: String,
    pub category_id: Option<Uuid>,
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    pub in_stock_only: bool,
    pub include_archived: bool,
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub limit: i64,
}

impl Default for ProductQuery {
    fn default() -> Self {
        ProductQuery {
            text: String::new(),
            category_id: None,
            min_price: None,
            max_price: None,
            in_stock_only: false,
            include_archived: false,
            sort: Sort::default(),
            after: None,
            limit: 50,
        }
    }
}

impl ProductQuery {
    pub fn validate(&self) -> Result<(), Error> {
        if let (Some(min), Some(max)) = (self.min_price, self.max_price)
            && min > max
        {
            return Err(Error::invalid(
                "Price range",
                "the minimum is above the maximum",
            ));
        }
        if !(1..=MAX_PAGE).contains(&self.limit) {
            return Err(Error::invalid(
                "Page size",
                format!("must be 1 to {MAX_PAGE}"),
            ));
        }
        if self.text.chars().count() > 200 {
            return Err(Error::invalid("Search", "must be at most 200 characters"));
        }
        // "😀" or "%_" has no word to look for: saying so beats listing everything.
        if !self.text.trim().is_empty() && self.words().is_empty() {
            return Err(Error::invalid(
                "Search",
                "type a letter or a digit of the name or SKU",
            ));
        }
        if let Some(cursor) = &self.after
            && !cursor.fits(self.sort)
        {
            return Err(Error::invalid(
                "Page",
                "the sort changed; start from the first page",
            ));
        }
        Ok(())
    }

    /// The search words, lowercased, with everything but letters and digits treated as a gap.
    pub fn words(&self) -> Vec<String> {
        self.text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(8)
            .map(str::to_lowercase)
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present when there may be more rows after this page.
    pub next: Option<Cursor>,
}

/// A product form as typed: every field raw, checked by [`ProductForm::validate`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductForm {
    pub name: String,
    /// Empty: made from the name.
    pub slug: String,
    pub sku: String,
    pub description: String,
    pub price: String,
    pub category_id: Option<Uuid>,
    pub image_url: String,
    /// KRA's tax type letter; empty for B (VAT 16 %).
    pub tax_type: String,
    pub item_class: String,
}

/// A product form after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    pub name: String,
    pub slug: Option<Slug>,
    pub sku: Sku,
    pub description: String,
    pub price: Money,
    pub category_id: Uuid,
    pub image_url: Option<String>,
    pub tax_type: TaxType,
    pub item_class: String,
}

impl ProductForm {
    /// The first problem found, named by its field, so a form can show it beside the field.
    pub fn validate(&self) -> Result<ProductDraft, Error> {
        let image_url = match self.image_url.trim() {
            "" => None,
            url if url.chars().count() <= limits::IMAGE_URL
                && !url.chars().any(|c| c.is_control() || c.is_whitespace()) =>
            {
                Some(url.to_owned())
            }
            _ => {
                return Err(Error::invalid(
                    "Image URL",
                    "must be one link without spaces",
                ));
            }
        };
        Ok(ProductDraft {
            name: parse_name("Name", &self.name, limits::PRODUCT_NAME)?,
            slug: match self.slug.trim() {
                "" => None,
                slug => Some(Slug::parse(slug)?),
            },
            sku: Sku::parse(&self.sku)?,
            description: parse_text("Description", &self.description, limits::DESCRIPTION)?,
            price: Money::parse("Price", &self.price)?,
            category_id: self
                .category_id
                .ok_or_else(|| Error::invalid("Category", "choose one"))?,
            image_url,
            tax_type: match self.tax_type.trim() {
                "" => TaxType::B,
                code => TaxType::parse(code).ok_or_else(|| {
                    Error::invalid(
                        "Tax type",
                        "A exempt, B 16%, C zero-rated, D non-VAT or E 8%",
                    )
                })?,
            },
            item_class: match self.item_class.trim() {
                class if class.len() <= 10 && class.chars().all(|c| c.is_ascii_digit()) => {
                    class.to_owned()
                }
                _ => return Err(Error::invalid("Item class", "KRA's code: up to 10 digits")),
            },
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PriceChange {
    pub old_price: Money,
    pub new_price: Money,
    pub changed_by_username: String,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type)]
#[sqlx(type_name = "stock_reason", rename_all = "snake_case")]
pub enum StockReason {
    Received,
    Damaged,
    CountCorrection,
}

#[cfg(test)]
impl Product {
    /// A product on sale (5 in stock at KSh 1.00) for the unit tests of the screens.
    pub fn sample(id: Uuid, name: &str) -> Product {
        Product {
            id,
            name: name.into(),
            slug: name.to_lowercase(),
            sku: name.to_uppercase(),
            description: String::new(),
            price: Money::from_cents(100),
            category_id: Uuid::nil(),
            category_name: "Beverages".into(),
            stock_quantity: 5,
            in_stock: true,
            image_url: None,
            is_archived: false,
            version: 1,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            tax_type: TaxType::B,
            item_class: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_anything_but_letters_and_digits() {
        let q = ProductQuery {
            text: "Unga  wa-ngano 2kg' OR 1=1;--".into(),
            ..Default::default()
        };
        assert_eq!(q.words(), ["unga", "wa", "ngano", "2kg", "or", "1", "1"]);
    }

    #[test]
    fn a_search_with_no_letter_or_digit_says_so() {
        for text in ["😀", "%_", " -- ", "'\"*"] {
            let q = ProductQuery {
                text: text.into(),
                ..Default::default()
            };
            let err = q.validate().unwrap_err();
            assert!(
                err.to_string().contains("a letter or a digit"),
                "{text}: {err}"
            );
        }
        let blank = ProductQuery {
            text: "  ".into(),
            ..Default::default()
        };
        assert!(blank.validate().is_ok(), "nothing typed lists the catalog");
    }

    #[test]
    fn a_price_range_must_be_the_right_way_round() {
        let q = ProductQuery {
            min_price: Some(Money::from_cents(500)),
            max_price: Some(Money::from_cents(100)),
            ..Default::default()
        };
        assert!(q.validate().is_err());
    }

    #[test]
    fn a_cursor_must_match_the_sort() {
        let q = ProductQuery {
            sort: Sort::Newest,
            after: Some(Cursor::Name("a".into(), Uuid::nil())),
            ..Default::default()
        };
        assert!(q.validate().is_err());
        let ok = ProductQuery {
            sort: Sort::PriceHighLow,
            after: Some(Cursor::Price(Money::ZERO, Uuid::nil())),
            ..Default::default()
        };
        assert!(ok.validate().is_ok());
    }

    #[test]
    fn product_forms_name_the_field_at_fault() {
        let good = ProductForm {
            name: " Tecno Spark 10 ".into(),
            sku: "tec-spk10".into(),
            price: "15,999".into(),
            category_id: Some(Uuid::nil()),
            ..Default::default()
        };
        let draft = good.validate().unwrap();
        assert_eq!(draft.name, "Tecno Spark 10");
        assert_eq!(draft.sku.as_str(), "TEC-SPK10");
        assert_eq!(draft.price, Money::from_cents(1_599_900));
        let field = |form: ProductForm| match form.validate() {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        };
        assert_eq!(
            field(ProductForm {
                price: "-1".into(),
                ..good.clone()
            }),
            "Price"
        );
        assert_eq!(
            field(ProductForm {
                sku: "a b".into(),
                ..good.clone()
            }),
            "SKU"
        );
        assert_eq!(
            field(ProductForm {
                slug: "Bad Slug".into(),
                ..good.clone()
            }),
            "Slug"
        );
        assert_eq!(
            field(ProductForm {
                category_id: None,
                ..good.clone()
            }),
            "Category"
        );
        assert_eq!(
            field(ProductForm {
                image_url: "a b".into(),
                ..good
            }),
            "Image URL"
        );
    }
}
