//! Scans and lookups: the scan rule for the till (see `tui::scanner` for what a scan is).

use crate::domain::Result;
use crate::service::cart::MAX_QUANTITY;
use crate::service::pos::Lookup;
use crate::tui::effect::{Effect, PosRequest};
use crate::tui::scanner;
use crate::tui::screens::Reply;

use super::{PosPopup, PosScreen};

impl PosScreen {
    /// A barcode scan (see `tui::scanner`): it always reaches the sale. A field waiting for
    /// exactly such text (cash, M-Pesa code, card reference, customer search, the push's
    /// phone, a receipt number to return from) takes it as typed; goods being returned
    /// count one more of the item scanned; a half-filled form (a shift's amount once typed,
    /// and cash parts taken) stays;
    /// any other popup that takes no text closes; while the
    /// sale (or a return) is being written, or a push is on the phone, the scan starts the
    /// next sale.
    pub fn on_scan(&mut self, code: &str) -> Reply {
        match &self.popup {
            Some(PosPopup::Pay { sending: true, .. }) => {
                self.after_sale.push(code.to_owned());
                self.notice = Some(format!("{code} is kept for the next sale."));
                return Reply::Nothing;
            }
            Some(
                PosPopup::Pay { kind: Some(_), .. }
                | PosPopup::Customer { .. }
                | PosPopup::ReturnFind { .. },
            ) => {
                return self.type_into_popup(code);
            }
            // Goods coming back are scanned one by one, unless the return is being written.
            Some(PosPopup::Return(draft)) if draft.sending => {
                self.after_sale.push(code.to_owned());
                self.notice = Some(format!("{code} is kept for the next sale."));
                return Reply::Nothing;
            }
            Some(PosPopup::Return(_)) => {
                if let Some(PosPopup::Return(draft)) = &mut self.popup {
                    draft.on_scan(code);
                }
                return Reply::Nothing;
            }
            Some(PosPopup::Push { flow, .. }) if flow.text_focused() => {
                return self.type_into_popup(code);
            }
            // A half-typed form, or cash parts already taken, stays; the scan joins the sale
            // behind it.
            Some(
                PosPopup::Push { .. }
                | PosPopup::NewCustomer { .. }
                | PosPopup::CashMove { .. }
                | PosPopup::Discount { .. }
                | PosPopup::DiscountApproval { .. }
                | PosPopup::OpenPrice { .. },
            )
            | None => {}
            Some(PosPopup::Pay { parts, .. }) if !parts.is_empty() => {}
            // A shift's float or closing count half typed stays; an empty one is not what
            // the cashier is doing (an item at opening time), so it closes.
            Some(PosPopup::ShiftOpen { input, .. } | PosPopup::ShiftClose { input, .. })
                if !input.value().is_empty() => {}
            Some(_) => self.popup = None,
        }
        self.matches.clear();
        self.scan_focused = true;
        self.look_up(code)
    }

    /// The scan's characters and Enter, as the open popup's field would take them typed.
    pub(super) fn type_into_popup(&mut self, code: &str) -> Reply {
        scanner::as_keys(code)
            .iter()
            .map(|key| self.on_popup_key(key))
            .fold(Reply::Nothing, |last, reply| match reply {
                Reply::Nothing => last,
                reply => reply,
            })
    }

    /// Asks for what was typed or scanned: `3*SKU` for three, else one.
    pub fn look_up(&mut self, typed: &str) -> Reply {
        let (quantity, text) = match typed.split_once('*') {
            Some((n, rest)) => match n.trim().parse::<i32>() {
                Ok(n) if (1..=MAX_QUANTITY).contains(&n) => (n, rest.trim().to_owned()),
                _ => {
                    self.error = Some(format!(
                        "Before * goes a quantity from 1 to {MAX_QUANTITY}, like 3*SKU."
                    ));
                    return Reply::Nothing;
                }
            },
            None => (1, typed.trim().to_owned()),
        };
        self.error = None;
        let seq = self.next_lookup;
        self.next_lookup += 1;
        self.lookups.insert(seq, None);
        Reply::Run(Effect::Pos(PosRequest::Lookup {
            seq,
            text,
            quantity,
        }))
    }

    /// A lookup's answer, applied once every earlier lookup's has been.
    pub(super) fn on_lookup(&mut self, seq: u64, quantity: i32, result: Result<Lookup>) {
        match self.lookups.get_mut(&seq) {
            Some(slot) => *slot = Some((quantity, result)),
            None => return, // asked before this sale's screen was reset
        }
        while let Some(entry) = self.lookups.first_entry()
            && entry.get().is_some()
        {
            if let Some((quantity, result)) = entry.remove() {
                self.apply_lookup(quantity, result);
            }
        }
    }

    pub(super) fn apply_lookup(&mut self, quantity: i32, result: Result<Lookup>) {
        match result {
            Ok(Lookup::Sku(product)) => self.add(&product, quantity),
            Ok(Lookup::Matches(found)) if found.is_empty() => {
                self.error = Some("Nothing matches that SKU or name.".into())
            }
            Ok(Lookup::Unknown(sku)) => {
                self.error = Some(format!(
                    "No product has SKU {sku}. An admin adds it with Ctrl+N; Ctrl+O sells it at an open price."
                ));
                self.unknown_sku = Some(sku);
            }
            Ok(Lookup::Matches(found)) => {
                self.matches = found;
                self.match_selected = 0;
                self.pending_quantity = quantity;
                self.notice = Some("Pick with ↑ ↓ and Enter; Esc closes.".into());
            }
            Err(err) => self.error = Some(err.to_string()),
        }
    }

    /// Scans kept while a sale was paid, looked up now for the next one.
    pub(super) fn scans_after_sale(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.after_sale)
            .iter()
            .filter_map(|code| match self.look_up(code) {
                Reply::Run(effect) => Some(effect),
                _ => None,
            })
            .collect()
    }
}
