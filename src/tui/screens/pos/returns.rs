//! F7 at the till: goods taken back against a sale's receipt. The receipt number is typed
//! or scanned; then the cashier sets how many of each line come back (a product's barcode
//! scanned adds one of it), whether they go back on the shelf, and for a card sale the
//! terminal's refund reference.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};
use tui_input::Input;

use crate::domain::Money;
use crate::domain::order::short_id;
use crate::domain::payment::PaymentMethod;
use crate::domain::returns::{ReturnRequest, ReturnableSale};
use crate::domain::values::limits;
use crate::tui::screens::{edit_within, step};
use crate::tui::theme::Theme;

/// Where the return popup's keys go besides the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnFocus {
    Lines,
    Reason,
    Reference,
}

#[derive(Debug, Clone)]
pub struct ReturnDraft {
    pub sale: ReturnableSale,
    /// Units to take back, per line of the sale.
    pub units: Vec<i32>,
    pub selected: usize,
    pub restock: bool,
    pub reason: Input,
    pub reference: Input,
    pub focus: ReturnFocus,
    pub error: Option<String>,
    pub sending: bool,
}

/// What a key did to the draft.
#[derive(Debug, PartialEq, Eq)]
pub enum ReturnKey {
    Nothing,
    Cancel,
    Submit(Box<ReturnRequest>),
}

impl ReturnDraft {
    pub fn new(sale: ReturnableSale) -> Self {
        ReturnDraft {
            units: vec![0; sale.lines.len()],
            sale,
            selected: 0,
            restock: true,
            reason: Input::default(),
            reference: Input::default(),
            focus: ReturnFocus::Lines,
            error: None,
            sending: false,
        }
    }

    pub fn text_focused(&self) -> bool {
        self.focus != ReturnFocus::Lines
    }

    fn by_card(&self) -> bool {
        self.sale.method == Some(PaymentMethod::Card)
    }

    pub fn refund(&self) -> Money {
        self.sale
            .lines
            .iter()
            .zip(&self.units)
            .map(|(line, units)| line.refund(*units))
            .sum()
    }

    fn change_units(&mut self, index: usize, delta: i32) {
        if let (Some(line), Some(units)) = (self.sale.lines.get(index), self.units.get_mut(index)) {
            *units = (*units + delta).clamp(0, line.left());
            self.error = None;
        }
    }

    /// A product's barcode scanned while the sale is open: one more of it comes back.
    pub fn on_scan(&mut self, code: &str) {
        let code = code.trim();
        match self
            .sale
            .lines
            .iter()
            .position(|l| l.sku.eq_ignore_ascii_case(code))
        {
            Some(index) if self.units[index] < self.sale.lines[index].left() => {
                self.selected = index;
                self.change_units(index, 1);
            }
            Some(index) => {
                self.selected = index;
                self.error = Some(format!(
                    "All {} of {} that can come back are counted.",
                    self.sale.lines[index].left(),
                    self.sale.lines[index].product_name
                ));
            }
            None => self.error = Some(format!("{code} is not in this sale.")),
        }
    }

    pub fn on_key(&mut self, key: &KeyEvent) -> ReturnKey {
        if self.sending {
            return ReturnKey::Nothing; // one return at a time; the answer closes this
        }
        match key.code {
            KeyCode::Esc => return ReturnKey::Cancel,
            KeyCode::Enter => return self.submit(),
            KeyCode::Tab => self.focus = self.next_focus(),
            KeyCode::F(2) => {
                self.restock = !self.restock;
                self.focus = match self.restock {
                    true => ReturnFocus::Lines,
                    false => ReturnFocus::Reason,
                };
            }
            _ => match self.focus {
                ReturnFocus::Reason => {
                    edit_within(&mut self.reason, key, limits::REASON);
                }
                ReturnFocus::Reference => {
                    edit_within(&mut self.reference, key, 40);
                }
                ReturnFocus::Lines => match key.code {
                    KeyCode::Up => self.selected = step(self.selected, -1, self.units.len()),
                    KeyCode::Down => self.selected = step(self.selected, 1, self.units.len()),
                    KeyCode::Char('+') | KeyCode::Right => self.change_units(self.selected, 1),
                    KeyCode::Char('-') | KeyCode::Left => self.change_units(self.selected, -1),
                    _ => {}
                },
            },
        }
        ReturnKey::Nothing
    }

    fn next_focus(&self) -> ReturnFocus {
        match self.focus {
            ReturnFocus::Lines if !self.restock => ReturnFocus::Reason,
            ReturnFocus::Lines | ReturnFocus::Reason if self.by_card() => ReturnFocus::Reference,
            _ => ReturnFocus::Lines,
        }
    }

    /// The request, once something comes back and what the refund needs is there; the
    /// service checks it all again.
    fn submit(&mut self) -> ReturnKey {
        let problem = if self.units.iter().all(|u| *u == 0) {
            Some("Choose what comes back: ↑↓ a line, + adds a unit (or scan the item).")
        } else if !self.restock && self.reason.value().trim().is_empty() {
            self.focus = ReturnFocus::Reason;
            Some("Say why the goods do not go back on the shelf.")
        } else if self.by_card() && self.reference.value().trim().is_empty() {
            self.focus = ReturnFocus::Reference;
            Some("Type the card terminal's refund reference.")
        } else {
            None
        };
        if let Some(problem) = problem {
            self.error = Some(problem.into());
            return ReturnKey::Nothing;
        }
        self.sending = true;
        self.error = None;
        ReturnKey::Submit(Box::new(ReturnRequest {
            order_id: self.sale.order_id,
            lines: self
                .sale
                .lines
                .iter()
                .zip(&self.units)
                .filter(|(_, units)| **units > 0)
                .map(|(line, units)| (line.product_id, *units))
                .collect(),
            restock: self.restock,
            reason: self.reason.value().trim().to_owned(),
            reference: self.reference.value().trim().to_owned(),
        }))
    }

    /// The popup's lines: the sale's lines with what comes back, the refund, the choices.
    pub fn lines(&self, theme: Theme) -> Vec<Line<'static>> {
        let method = self.sale.method.map_or("—", PaymentMethod::label);
        let mut out = vec![
            Line::raw(format!(
                "Receipt {}, paid by {method}",
                short_id(self.sale.order_id)
            )),
            Line::styled(
                format!("{:<30} {:>5} {:>5} {:>6}", "", "sold", "back", "return"),
                theme.dim(),
            ),
        ];
        for (i, (line, units)) in self.sale.lines.iter().zip(&self.units).enumerate() {
            let name: String = line.product_name.chars().take(30).collect();
            let row = format!(
                "{name:<30} {:>5} {:>5} {:>6}",
                line.sold, line.returned, units
            );
            out.push(
                match i == self.selected && self.focus == ReturnFocus::Lines {
                    true => Line::styled(row, theme.selected()),
                    false => Line::raw(row),
                },
            );
        }
        out.push(Line::from(vec![
            Span::raw("Refund "),
            Span::styled(self.refund().to_string(), theme.money()),
            Span::raw(format!(" by {method}")),
        ]));
        out.push(Line::raw(match self.restock {
            true => "Back on the shelf: yes (F2: no, damaged)",
            false => "Back on the shelf: no (F2: yes)",
        }));
        let field = |prompt: &str, input: &Input, focus: ReturnFocus| {
            let typing = self.focus == focus;
            let cursor = if typing { "▏" } else { "" };
            Line::from(vec![
                Span::raw(format!("{prompt}: ")),
                Span::styled(
                    format!("{}{cursor}", input.value()),
                    match typing {
                        true => theme.selected(),
                        false => Default::default(),
                    },
                ),
            ])
        };
        if !self.restock {
            out.push(field("Why not", &self.reason, ReturnFocus::Reason));
        }
        if self.by_card() {
            out.push(field(
                "Card refund reference",
                &self.reference,
                ReturnFocus::Reference,
            ));
        }
        if let Some(error) = &self.error {
            out.push(Line::styled(error.clone(), theme.error()));
        }
        out.push(Line::styled(
            match self.sending {
                true => "Taking the goods back…",
                false => "↑↓ line  +/- units  Tab field  Enter take back  Esc cancel",
            },
            theme.dim(),
        ));
        out
    }
}
