//! The cart: lines with quantities, problems flagged before checkout, the total.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row};

use crate::domain::cart::{CartView, LineProblem};
use crate::tui::effect::Effect;
use crate::tui::keymap::{self, Command};
use crate::tui::screens::{Listing, Prompt, Reply, step};
use crate::tui::theme::Theme;

#[derive(Debug, Clone, Default)]
pub struct CartScreen {
    pub cart: Option<CartView>,
    pub selected: usize,
    pub loading: bool,
}

impl CartScreen {
    pub fn line_count(&self) -> usize {
        self.cart.as_ref().map_or(0, |c| c.lines.len())
    }

    pub fn set(&mut self, cart: CartView) {
        self.selected = self.selected.min(cart.lines.len().saturating_sub(1));
        self.cart = Some(cart);
        self.loading = false;
    }

    pub fn on_key(&mut self, key: &KeyEvent) -> Reply {
        let len = self.line_count();
        let line = self.cart.as_ref().and_then(|c| c.lines.get(self.selected));
        match keymap::lookup(keymap::CART, key) {
            Some(Command::Up) => self.selected = step(self.selected, -1, len),
            Some(Command::Down) => self.selected = step(self.selected, 1, len),
            Some(Command::Increase) => {
                if let Some(line) = line {
                    return Reply::Run(Effect::SetQuantity {
                        product_id: line.product_id,
                        quantity: line.quantity + 1,
                    });
                }
            }
            Some(Command::Decrease) => match line {
                Some(line) if line.quantity > 1 => {
                    return Reply::Run(Effect::SetQuantity {
                        product_id: line.product_id,
                        quantity: line.quantity - 1,
                    });
                }
                Some(line) => {
                    return Reply::Run(Effect::RemoveLine {
                        product_id: line.product_id,
                    });
                }
                None => {}
            },
            Some(Command::Remove) => {
                if let Some(line) = line {
                    return Reply::Run(Effect::RemoveLine {
                        product_id: line.product_id,
                    });
                }
            }
            Some(Command::AcceptPrices) => return Reply::Run(Effect::AcceptPrices),
            Some(Command::Checkout) if len > 0 => return Reply::Ask(Prompt::Checkout),
            Some(Command::Refresh) => {
                self.loading = true;
                return Reply::Run(Effect::LoadCart);
            }
            _ => {}
        }
        Reply::Nothing
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let [table_area, total_area] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(3)]).areas(area);
        let Some(cart) = &self.cart else {
            frame.render_widget(
                Paragraph::new(" Loading the cart…").style(theme.dim()),
                area,
            );
            return;
        };
        let rows = cart.lines.iter().map(|line| {
            let note = match line.problem() {
                None => Span::raw(""),
                Some(LineProblem::PriceChanged { .. }) => Span::styled("new price", theme.warn()),
                Some(LineProblem::NotEnoughStock { available }) => {
                    Span::styled(format!("{available} left"), theme.error())
                }
                Some(LineProblem::Discontinued) => Span::styled("not sold", theme.error()),
            };
            Row::new(vec![
                Line::raw(line.name.clone()),
                Line::raw(line.quantity.to_string()).right_aligned(),
                Line::raw(line.price.to_string()).right_aligned(),
                Line::raw(line.line_total().to_string()).right_aligned(),
                Line::from(note),
            ])
        });
        Listing {
            title: " Cart ",
            header: &["Item", "Qty", "Unit", "Line total", ""],
            widths: &[
                Constraint::Fill(1),
                Constraint::Length(4),
                Constraint::Length(15),
                Constraint::Length(16),
                Constraint::Length(10),
            ],
            selected: Some(self.selected),
            empty: Some("The cart is empty. Press 1 for the catalog, then a to add."),
        }
        .draw(frame, table_area, theme, rows.collect());
        let mut total = vec![
            Span::styled(" Total ", theme.title()),
            Span::styled(cart.total().to_string(), theme.money()),
        ];
        let selected = cart
            .lines
            .get(self.selected)
            .and_then(|line| line.problem());
        if let Some(problem) = selected {
            total.push(Span::styled(
                format!("   {}", explain(&problem)),
                theme.warn(),
            ));
        } else if cart.has_problems() {
            total.push(Span::styled(
                "   Some lines need a look before checkout.",
                theme.warn(),
            ));
        } else if !cart.is_empty() {
            total.push(Span::styled("   c to check out", theme.dim()));
        }
        frame.render_widget(
            Paragraph::new(Line::from(total)).block(Block::bordered()),
            total_area,
        );
    }
}

/// The selected line's problem in a sentence, with what to do about it.
fn explain(problem: &LineProblem) -> String {
    match problem {
        LineProblem::PriceChanged { was, now } => {
            format!("Was {was}, now {now}: y accepts.")
        }
        LineProblem::NotEnoughStock { available } => {
            format!("Only {available} left: lower the quantity or remove.")
        }
        LineProblem::Discontinued => "No longer sold: d removes it.".into(),
    }
}
