//! A receipt whose eTIMS invoice KRA has not signed yet waits a few seconds before it is
//! saved and printed: KRA usually answers within a second or two, and a printed receipt
//! without its signature is not a tax invoice. The till never waits: the next sale starts
//! at once, and a receipt KRA has not answered by then prints "eTIMS PENDING" (reprinted
//! signed later from F11).

use std::time::Duration;

use uuid::Uuid;

use super::{PosPopup, PosScreen};
use crate::domain::Result;
use crate::domain::etims::FiscalPrint;
use crate::domain::receipt::Receipt;
use crate::tui::effect::{Effect, PosRequest};
use crate::tui::event::TICK;

/// How long a receipt waits for KRA's signature, in ticks.
const KRA_WAIT_TICKS: u32 = (Duration::from_secs(5).as_millis() / TICK.as_millis()) as u32;

/// A receipt waiting for KRA's answer to its invoice.
#[derive(Debug, Clone)]
pub(super) struct AwaitingKra {
    receipt: Box<Receipt>,
    ticks_left: u32,
}

impl PosScreen {
    /// Saves and prints `receipt` now, or once KRA answers its invoice.
    pub(super) fn issue(&mut self, receipt: Box<Receipt>) -> Vec<Effect> {
        if receipt.fiscal.as_ref().is_some_and(FiscalPrint::awaits_kra) {
            self.awaiting_kra.push(AwaitingKra {
                receipt,
                ticks_left: KRA_WAIT_TICKS,
            });
            return Vec::new();
        }
        vec![Effect::Pos(PosRequest::Issue(receipt))]
    }

    /// KRA answered the invoice `id`: a receipt shown or waiting with it is read again.
    pub fn on_invoice_answered(&self, id: Uuid) -> Vec<Effect> {
        let shown = match &self.popup {
            Some(PosPopup::Receipt { receipt, .. }) => receipt.fiscal.as_ref(),
            _ => None,
        };
        let waiting = self.awaiting_kra.iter().map(|a| a.receipt.fiscal.as_ref());
        std::iter::once(shown)
            .chain(waiting)
            .flatten()
            .find(|print| print.fiscal.id == id)
            .map(|print| Effect::Pos(PosRequest::InvoiceNow(Box::new(print.clone()))))
            .into_iter()
            .collect()
    }

    /// The invoice as it stands now goes on the receipt shown and on those waiting; those
    /// KRA has answered are printed.
    pub(super) fn on_invoice_now(&mut self, result: Result<Box<FiscalPrint>>) -> Vec<Effect> {
        let Ok(now) = result else {
            // Read again when KRA's next answer is heard; printed as is at the latest.
            return Vec::new();
        };
        let same = |receipt: &Receipt| {
            receipt
                .fiscal
                .as_ref()
                .is_some_and(|f| f.fiscal.id == now.fiscal.id)
        };
        if let Some(PosPopup::Receipt { receipt, .. }) = &mut self.popup
            && same(receipt)
        {
            receipt.fiscal = Some((*now).clone());
        }
        if now.awaits_kra() {
            return Vec::new();
        }
        self.take_awaiting(&|a| same(&a.receipt))
            .map(|mut receipt| {
                receipt.fiscal = Some((*now).clone());
                Effect::Pos(PosRequest::Issue(receipt))
            })
            .collect()
    }

    /// Receipts KRA has not answered in time are printed as they are.
    pub fn print_overdue(&mut self) -> Vec<Effect> {
        self.awaiting_kra
            .iter_mut()
            .for_each(|a| a.ticks_left = a.ticks_left.saturating_sub(1));
        self.take_awaiting(&|a| a.ticks_left == 0)
            .map(|receipt| Effect::Pos(PosRequest::Issue(receipt)))
            .collect()
    }

    /// Every receipt still waiting, printed as it is (the session ends).
    pub fn print_awaiting_now(&mut self) -> Vec<Effect> {
        self.take_awaiting(&|_| true)
            .map(|receipt| Effect::Pos(PosRequest::Issue(receipt)))
            .collect()
    }

    /// Takes the receipts that are `done` waiting out of the queue.
    fn take_awaiting(
        &mut self,
        done: &dyn Fn(&AwaitingKra) -> bool,
    ) -> impl Iterator<Item = Box<Receipt>> + use<> {
        let (done, waiting): (Vec<_>, _) = std::mem::take(&mut self.awaiting_kra)
            .into_iter()
            .partition(|a| done(a));
        self.awaiting_kra = waiting;
        done.into_iter().map(|a| a.receipt)
    }

    /// The receipt shown waits for KRA before it is printed.
    pub(super) fn shown_awaits_kra(&self) -> bool {
        let Some(PosPopup::Receipt { receipt, .. }) = &self.popup else {
            return false;
        };
        let id = |r: &Receipt| r.fiscal.as_ref().map(|f| f.fiscal.id);
        id(receipt).is_some()
            && self
                .awaiting_kra
                .iter()
                .any(|a| id(&a.receipt) == id(receipt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::etims::InvoiceState;
    use crate::domain::etims::tests::signed_print;
    use crate::tui::effect::PosAnswer;

    /// A cash receipt whose invoice KRA has not answered yet.
    fn pending(order: u128) -> Box<Receipt> {
        let mut receipt = crate::domain::receipt::tests::sample();
        receipt.order_id = Uuid::from_u128(order);
        let mut print = signed_print();
        print.fiscal.id = Uuid::from_u128(order);
        print.fiscal.state = InvoiceState::Pending;
        print.fiscal.signed = None;
        print.verify_link = None;
        receipt.fiscal = Some(print);
        Box::new(receipt)
    }

    fn signed(order: u128) -> FiscalPrint {
        let mut print = signed_print();
        print.fiscal.id = Uuid::from_u128(order);
        print
    }

    fn issued(effects: &[Effect]) -> Vec<&Receipt> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Pos(PosRequest::Issue(r)) => Some(&**r),
                _ => None,
            })
            .collect()
    }

    /// The text of the one receipt `effects` print.
    fn one_printed(effects: &[Effect]) -> String {
        let printed = issued(effects);
        assert_eq!(printed.len(), 1, "{effects:?}");
        printed[0].text()
    }

    #[test]
    fn a_receipt_prints_once_kra_signs_its_invoice_and_the_popup_shows_the_signature() {
        let mut pos = PosScreen::new();
        let sold = pos.on_answer(PosAnswer::Sold(Ok(pending(7))));
        assert!(issued(&sold).is_empty(), "not printed unsigned: {sold:?}");
        assert!(pos.shown_awaits_kra());
        assert!(pos.on_invoice_answered(Uuid::from_u128(8)).is_empty());
        let asked = pos.on_invoice_answered(Uuid::from_u128(7));
        let [Effect::Pos(PosRequest::InvoiceNow(print))] = &asked[..] else {
            panic!("the invoice is read again: {asked:?}");
        };
        assert_eq!(print.fiscal.id, Uuid::from_u128(7));

        let printed = pos.on_answer(PosAnswer::InvoiceNow(Ok(Box::new(signed(7)))));
        assert!(one_printed(&printed).contains("SIGNATURE"));
        let Some(PosPopup::Receipt { receipt, .. }) = &pos.popup else {
            panic!("the receipt stays on screen");
        };
        assert!(!receipt.fiscal.as_ref().unwrap().awaits_kra());
        assert!(!pos.shown_awaits_kra());
        assert!(pos.print_overdue().is_empty(), "printed once");
    }

    #[test]
    fn a_receipt_kra_does_not_answer_in_time_prints_as_it_is() {
        let mut pos = PosScreen::new();
        pos.on_answer(PosAnswer::Sold(Ok(pending(7))));
        // Read again while still pending: it keeps waiting.
        let still = pos.on_answer(PosAnswer::InvoiceNow(Ok(pending(7).fiscal.unwrap().into())));
        assert!(issued(&still).is_empty());
        for _ in 1..KRA_WAIT_TICKS {
            assert!(pos.print_overdue().is_empty());
        }
        assert!(one_printed(&pos.print_overdue()).contains("eTIMS PENDING"));
        assert!(pos.print_overdue().is_empty());
    }

    #[test]
    fn a_signed_or_plain_receipt_prints_at_once() {
        let mut pos = PosScreen::new();
        let mut receipt = pending(7);
        receipt.fiscal = Some(signed(7));
        assert_eq!(issued(&pos.issue(receipt)).len(), 1);
        let mut plain = pending(8);
        plain.fiscal = None;
        assert_eq!(issued(&pos.issue(plain)).len(), 1);
    }
}
