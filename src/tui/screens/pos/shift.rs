//! F10 at the till: the cashier's shift. Opened with the float counted into the drawer (asked
//! for when the till comes on screen with none open), cash put in or taken out with a
//! reason, the X report at any time, and the close with the cash counted (the Z report). The
//! reports are shown, saved and printed like receipts.

use crossterm::event::{KeyCode, KeyEvent};
use tui_input::Input;

use crate::domain::shift::{Shift, ShiftReport};
use crate::domain::values::limits;
use crate::domain::{Money, Result};
use crate::service::shifts::CashMove;
use crate::tui::effect::{Effect, PosRequest, ShiftRequest};
use crate::tui::form::{Field, Form, FormKey};
use crate::tui::screens::{Reply, edit_within};

use super::{PosPopup, PosScreen};

/// Amounts are typed as `5,000.00` at most.
const AMOUNT_CHARS: usize = 16;

impl PosScreen {
    /// F10: the float to open a shift, or what to do with the open one.
    pub(super) fn open_shift_popup(&mut self) {
        self.popup = Some(match self.shift {
            None => PosPopup::ShiftOpen {
                input: Input::default(),
                error: None,
            },
            Some(_) => PosPopup::ShiftMenu,
        });
    }

    pub(super) fn on_shift_key(&mut self, key: &KeyEvent) -> Reply {
        let Some(popup) = self.popup.as_mut() else {
            return Reply::Nothing;
        };
        let request = match popup {
            PosPopup::ShiftOpen { input, error } | PosPopup::ShiftClose { input, error } => {
                match key.code {
                    KeyCode::Esc => {
                        self.popup = None;
                        return Reply::Nothing;
                    }
                    KeyCode::Enter => {
                        let typed = input.value().trim().to_owned();
                        if let Err(err) = Money::parse("Amount", &typed) {
                            *error = Some(err.to_string());
                            return Reply::Nothing;
                        }
                        match popup {
                            PosPopup::ShiftOpen { .. } => ShiftRequest::Open(typed),
                            _ => ShiftRequest::Close(typed),
                        }
                    }
                    _ => {
                        if edit_within(input, key, AMOUNT_CHARS) {
                            *error = None;
                        }
                        return Reply::Nothing;
                    }
                }
            }
            PosPopup::ShiftMenu => match key.code {
                KeyCode::Char('i') => return self.cash_form(CashMove::In),
                KeyCode::Char('o') => return self.cash_form(CashMove::Out),
                KeyCode::Char('x') => {
                    self.popup = None;
                    ShiftRequest::Report
                }
                KeyCode::Char('z') => {
                    self.popup = Some(PosPopup::ShiftClose {
                        input: Input::default(),
                        error: None,
                    });
                    return Reply::Nothing;
                }
                _ => {
                    self.popup = None;
                    return Reply::Nothing;
                }
            },
            PosPopup::CashMove { way, form } => match form.on_key(key) {
                FormKey::Cancel => {
                    self.popup = None;
                    return Reply::Nothing;
                }
                FormKey::Nothing => return Reply::Nothing,
                FormKey::Submit => ShiftRequest::Cash {
                    way: *way,
                    amount: form.value("Amount").trim().to_owned(),
                    reason: form.value("Reason").trim().to_owned(),
                },
            },
            PosPopup::ShiftReport { scroll, .. } => {
                match key.code {
                    KeyCode::Up => *scroll = scroll.saturating_sub(1),
                    KeyCode::Down => *scroll = scroll.saturating_add(1).min(40),
                    _ => self.popup = None,
                }
                return Reply::Nothing;
            }
            _ => return Reply::Nothing,
        };
        Reply::Run(Effect::Pos(PosRequest::Shift(request)))
    }

    fn cash_form(&mut self, way: CashMove) -> Reply {
        let title = match way {
            CashMove::In => "Cash into the drawer",
            CashMove::Out => "Cash out of the drawer (e.g. paying a supplier)",
        };
        let form = Form::new(
            title,
            vec![
                Field::new("Amount", "").max(AMOUNT_CHARS),
                Field::new("Reason", "").max(limits::REASON),
            ],
        );
        self.popup = Some(PosPopup::CashMove { way, form });
        Reply::Nothing
    }

    /// The shift looked up or just opened. None open: the float is asked for, unless the
    /// cashier is busy in another popup (F10 then opens it).
    pub(super) fn on_shift(&mut self, result: Result<Option<Shift>>) -> Vec<Effect> {
        match result {
            Ok(shift) => {
                let opened = matches!(self.popup, Some(PosPopup::ShiftOpen { .. }));
                self.shift_known = true;
                match (&shift, opened) {
                    (Some(shift), true) => {
                        self.popup = None;
                        self.notice = Some(format!("Shift open, float {}.", shift.opening_float));
                    }
                    (None, _) if self.popup.is_none() => self.open_shift_popup(),
                    _ => {}
                }
                self.shift = shift;
            }
            Err(err) => match &mut self.popup {
                Some(PosPopup::ShiftOpen { error, .. }) => *error = Some(err.to_string()),
                _ => self.error = Some(err.to_string()),
            },
        }
        Vec::new()
    }

    pub(super) fn on_cash_moved(&mut self, result: Result<(CashMove, Money)>) {
        match result {
            Ok((way, amount)) => {
                self.popup = None;
                self.notice = Some(match way {
                    CashMove::In => format!("{amount} put into the drawer."),
                    CashMove::Out => format!("{amount} taken out of the drawer."),
                });
            }
            Err(err) => match &mut self.popup {
                Some(PosPopup::CashMove { form, .. }) => form.refused(&err),
                _ => self.error = Some(err.to_string()),
            },
        }
    }

    /// An X report, or a Z report (the shift is then closed): shown, saved and printed.
    pub(super) fn on_shift_report(&mut self, result: Result<Box<ShiftReport>>) -> Vec<Effect> {
        match result {
            Ok(report) => {
                if report.shift.closed_at.is_some() {
                    self.shift = None;
                    self.notice = Some("Shift closed. F10 opens the next one.".into());
                }
                self.popup = Some(PosPopup::ShiftReport {
                    report: report.clone(),
                    issued: None,
                    scroll: 0,
                });
                vec![Effect::Pos(PosRequest::IssueReport(report))]
            }
            Err(err) => {
                match &mut self.popup {
                    Some(PosPopup::ShiftClose { error, .. }) => *error = Some(err.to_string()),
                    _ => self.error = Some(err.to_string()),
                }
                Vec::new()
            }
        }
    }
}
