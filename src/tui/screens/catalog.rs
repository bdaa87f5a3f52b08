//! Browse and search: categories on the left, products on the right, details below.
//! Products come a page at a time (keyset paging), so a million of them cost no more than 50.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Row, Wrap};
use tui_input::Input;

use crate::domain::catalog::{Category, Cursor, Page, Product, ProductQuery, Sort, TEXT_MATCHES};
use crate::domain::{Money, Result};
use crate::tui::effect::Effect;
use crate::tui::keymap::{self, Command};
use crate::tui::screens::{Listing, Prompt, Reply, edit, step};
use crate::tui::theme::Theme;

pub const PAGE: i64 = 50;
const PAGE_STEP: isize = 10;
/// Fetch the next page when the selection comes this close to the end.
const PREFETCH: usize = 5;

#[derive(Debug, Clone, Default)]
pub struct CatalogScreen {
    pub categories: Vec<Category>,
    /// 0 is "All"; n is categories[n - 1].
    pub category: usize,
    pub search: Input,
    pub search_focused: bool,
    pub in_stock_only: bool,
    pub sort: Sort,
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    pub products: Vec<Product>,
    pub next: Option<Cursor>,
    pub selected: usize,
    pub generation: u64,
    pub loading: bool,
    pub error: Option<String>,
}

impl CatalogScreen {
    pub fn selected_product(&self) -> Option<&Product> {
        self.products.get(self.selected)
    }

    fn query(&self, after: Option<Cursor>) -> ProductQuery {
        ProductQuery {
            text: self.search.value().to_owned(),
            category_id: self
                .category
                .checked_sub(1)
                .and_then(|i| self.categories.get(i))
                .map(|c| c.id),
            min_price: self.min_price,
            max_price: self.max_price,
            in_stock_only: self.in_stock_only,
            sort: self.sort,
            after,
            limit: PAGE,
            ..Default::default()
        }
    }

    /// Starts the first page again for the current search and filters.
    pub fn reload(&mut self) -> Effect {
        self.generation += 1;
        self.loading = true;
        Effect::Search {
            generation: self.generation,
            query: self.query(None),
            append: false,
        }
    }

    fn load_more(&mut self) -> Reply {
        match &self.next {
            Some(next) if !self.loading && self.selected + PREFETCH >= self.products.len() => {
                self.loading = true;
                Reply::Run(Effect::Search {
                    generation: self.generation,
                    query: self.query(Some(next.clone())),
                    append: true,
                })
            }
            _ => Reply::Nothing,
        }
    }

    pub fn on_products(&mut self, generation: u64, append: bool, result: Result<Page<Product>>) {
        if generation != self.generation {
            return; // an answer to a search the person has since changed
        }
        self.loading = false;
        match result {
            Ok(page) => {
                self.error = None;
                if append {
                    self.products.extend(page.items);
                } else {
                    self.products = page.items;
                    self.selected = 0;
                }
                self.next = page.next;
            }
            Err(err) => self.error = Some(err.to_string()),
        }
    }

    /// Applies fresh stock and prices to the products on screen (after a sale, a restock).
    pub fn refresh_product(&mut self, fresh: &Product) {
        if let Some(p) = self.products.iter_mut().find(|p| p.id == fresh.id) {
            *p = fresh.clone();
        }
    }

    pub fn search_due(&mut self, generation: u64) -> Option<Effect> {
        let typed = self.search.value().trim().chars().count();
        // One letter matches too much to be useful; wait for the second.
        (generation == self.generation && typed != 1).then(|| self.reload())
    }

    pub fn on_key(&mut self, key: &KeyEvent) -> Reply {
        if self.search_focused {
            return self.on_search_key(key);
        }
        match keymap::lookup(keymap::CATALOG, key) {
            Some(Command::Up) => self.selected = step(self.selected, -1, self.products.len()),
            Some(Command::Down) => {
                self.selected = step(self.selected, 1, self.products.len());
                return self.load_more();
            }
            Some(Command::PageUp) => {
                self.selected = step(self.selected, -PAGE_STEP, self.products.len())
            }
            Some(Command::PageDown) => {
                self.selected = step(self.selected, PAGE_STEP, self.products.len());
                return self.load_more();
            }
            Some(Command::Left) => {
                self.category = self.category.saturating_sub(1);
                return Reply::Run(self.reload());
            }
            Some(Command::Right) => {
                self.category = (self.category + 1).min(self.categories.len());
                return Reply::Run(self.reload());
            }
            Some(Command::FocusSearch) => self.search_focused = true,
            Some(Command::CycleSort) => {
                let i = Sort::ALL.iter().position(|s| *s == self.sort).unwrap_or(0);
                self.sort = Sort::ALL[(i + 1) % Sort::ALL.len()];
                return Reply::Run(self.reload());
            }
            Some(Command::ToggleInStock) => {
                self.in_stock_only = !self.in_stock_only;
                return Reply::Run(self.reload());
            }
            Some(Command::PriceRange) => return Reply::Ask(Prompt::PriceRange),
            Some(Command::ClearFilters) => {
                *self = CatalogScreen {
                    categories: std::mem::take(&mut self.categories),
                    generation: self.generation,
                    ..Default::default()
                };
                return Reply::Run(self.reload());
            }
            Some(Command::Add) => {
                if let Some(p) = self.selected_product() {
                    return Reply::Run(Effect::AddToCart {
                        product_id: p.id,
                        quantity: 1,
                    });
                }
            }
            Some(Command::AddQuantity) => {
                if let Some(p) = self.selected_product() {
                    return Reply::Ask(Prompt::Quantity {
                        product_id: p.id,
                        name: p.name.clone(),
                    });
                }
            }
            Some(Command::Refresh) => return Reply::Run(self.reload()),
            _ => {}
        }
        Reply::Nothing
    }

    fn on_search_key(&mut self, key: &KeyEvent) -> Reply {
        use crossterm::event::KeyCode;
        match key.code {
            KeyCode::Enter | KeyCode::Esc | KeyCode::Tab => self.search_focused = false,
            KeyCode::Up | KeyCode::Down => {
                self.search_focused = false;
                return self.on_key(key);
            }
            _ => {
                if edit(&mut self.search, key) {
                    self.generation += 1;
                    return Reply::Run(Effect::Debounce {
                        generation: self.generation,
                    });
                }
            }
        }
        Reply::Nothing
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let [left, right] =
            Layout::horizontal([Constraint::Length(20), Constraint::Fill(1)]).areas(area);
        self.draw_categories(frame, left, theme);
        let [search, filters, table, details] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(5),
        ])
        .areas(right);
        self.draw_search(frame, search, theme);
        frame.render_widget(Paragraph::new(self.filter_line(theme)), filters);
        self.draw_table(frame, table, theme);
        self.draw_details(frame, details, theme);
    }

    fn draw_categories(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let items: Vec<ListItem> = std::iter::once("All".to_owned())
            .chain(self.categories.iter().map(|c| c.name.clone()))
            .map(ListItem::new)
            .collect();
        let list = List::new(items)
            .block(Block::bordered().title(Line::styled(" Categories ", theme.title())))
            .highlight_style(theme.selected());
        let mut state = ListState::default().with_selected(Some(self.category));
        frame.render_stateful_widget(list, area, &mut state);
    }

    fn draw_search(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let label = " Search: ";
        let style = if self.search_focused {
            theme.selected()
        } else {
            theme.dim()
        };
        let hint = if !self.search_focused && self.search.value().is_empty() {
            "press / to search"
        } else {
            ""
        };
        let width = area.width.saturating_sub(label.len() as u16 + 1) as usize;
        let scroll = self.search.visual_scroll(width);
        let visible: String = self
            .search
            .value()
            .chars()
            .skip(scroll)
            .take(width)
            .collect();
        let field = if hint.is_empty() {
            format!("{visible:<width$}")
        } else {
            String::new()
        };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(label, theme.key()),
                Span::styled(field, style),
                Span::styled(hint, theme.dim()),
            ])),
            area,
        );
        if self.search_focused {
            let x = area.x
                + label.len() as u16
                + (self.search.visual_cursor().saturating_sub(scroll)) as u16;
            frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
        }
    }

    fn filter_line(&self, theme: Theme) -> Line<'static> {
        let price = match (self.min_price, self.max_price) {
            (None, None) => "any price".to_owned(),
            (min, max) => format!(
                "{} – {}",
                min.map_or("0".into(), |m| m.to_string()),
                max.map_or("…".into(), |m| m.to_string())
            ),
        };
        let shown = self.products.len();
        let count = if self.next.is_some() {
            format!("{shown}+ shown")
        } else if shown as i64 == TEXT_MATCHES && !self.search.value().trim().is_empty() {
            format!("first {shown} matches: type more to narrow")
        } else {
            format!("{shown} found")
        };
        Line::from(vec![
            Span::styled(" sort ", theme.dim()),
            Span::raw(self.sort.label()),
            Span::styled(" · ", theme.dim()),
            Span::raw(if self.in_stock_only {
                "in stock only"
            } else {
                "all stock"
            }),
            Span::styled(" · ", theme.dim()),
            Span::raw(price),
            Span::styled(" · ", theme.dim()),
            Span::raw(count),
        ])
    }

    fn draw_table(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let rows = self.products.iter().map(|p| {
            let stock = if p.stock_quantity > 0 {
                Span::styled(p.stock_quantity.to_string(), theme.ok())
            } else {
                Span::styled("out", theme.error())
            };
            Row::new(vec![
                Line::raw(p.name.clone()),
                Line::raw(p.price.to_string()).right_aligned(),
                Line::from(stock).right_aligned(),
            ])
        });
        let title = if self.loading {
            " Products (loading…) "
        } else {
            " Products "
        };
        let message = self
            .error
            .clone()
            .unwrap_or_else(|| "No products match.".into());
        let rows: Vec<Row> = rows.collect();
        Listing {
            title,
            header: &["Name", "Price", "Stock"],
            widths: &[
                Constraint::Fill(1),
                Constraint::Length(16),
                Constraint::Length(6),
            ],
            selected: Some(self.selected),
            empty: (!self.loading).then_some(message.as_str()),
        }
        .draw(frame, area, theme, rows);
    }

    fn draw_details(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let block = Block::bordered().title(Line::styled(" Details ", theme.title()));
        let text = match self.selected_product() {
            Some(p) => vec![
                Line::from(vec![
                    Span::styled(p.name.clone(), theme.title()),
                    Span::raw("  "),
                    Span::styled(p.price.to_string(), theme.money()),
                    Span::styled(
                        format!("  SKU {} · {}", p.sku, p.category_name),
                        theme.dim(),
                    ),
                ]),
                Line::raw(p.description.clone()),
            ],
            None => vec![Line::styled("Nothing selected.", theme.dim())],
        };
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
            area,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn press(s: &mut CatalogScreen, code: KeyCode) -> Reply {
        s.on_key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn typing_in_search_debounces_and_only_the_latest_query_runs() {
        let mut s = CatalogScreen::default();
        press(&mut s, KeyCode::Char('/'));
        assert!(s.search_focused);
        let first = press(&mut s, KeyCode::Char('t'));
        let second = press(&mut s, KeyCode::Char('e'));
        assert_eq!(first, Reply::Run(Effect::Debounce { generation: 1 }));
        assert_eq!(second, Reply::Run(Effect::Debounce { generation: 2 }));
        assert_eq!(s.search_due(1), None, "stale timer");
        match s.search_due(2) {
            Some(Effect::Search {
                query,
                append: false,
                ..
            }) => assert_eq!(query.text, "te"),
            other => panic!("expected a search, got {other:?}"),
        }
    }

    #[test]
    fn a_late_answer_for_an_old_query_is_dropped() {
        let mut s = CatalogScreen::default();
        s.reload();
        let old = s.generation;
        s.reload();
        s.on_products(old, false, Err(crate::domain::Error::Unavailable));
        assert!(s.loading && s.error.is_none());
    }

    #[test]
    fn filters_reload_from_the_first_page() {
        let mut s = CatalogScreen::default();
        match press(&mut s, KeyCode::Char('i')) {
            Reply::Run(Effect::Search {
                query,
                append: false,
                ..
            }) => assert!(query.in_stock_only),
            other => panic!("{other:?}"),
        }
        match press(&mut s, KeyCode::Char('s')) {
            Reply::Run(Effect::Search { query, .. }) => assert_eq!(query.sort, Sort::PriceLowHigh),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_search_at_its_match_cap_asks_for_more_letters() {
        let mut s = CatalogScreen {
            products: vec![Product::sample(uuid::Uuid::nil(), "Lamp"); TEXT_MATCHES as usize],
            ..Default::default()
        };
        let said = |s: &CatalogScreen| s.filter_line(Theme::plain()).to_string();
        let found = format!("{TEXT_MATCHES} found");
        assert!(said(&s).contains(&found), "a category: {}", said(&s));
        s.search = Input::new("lamp".into());
        let capped = format!("first {TEXT_MATCHES} matches: type more to narrow");
        assert!(said(&s).contains(&capped));
        s.products.pop();
        let fewer = format!("{} found", TEXT_MATCHES - 1);
        assert!(said(&s).contains(&fewer));
    }
}
