//! Ctrl+D: an amount or a percent off the selected line or the whole sale, with a reason.
//! Over the cashier's limit an admin approves at the till with their password.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;

use crate::domain::discount::{Approval, Discount, Off, over_limit, work_out};
use crate::domain::{Error, Result};
use crate::tui::effect::{Effect, PosRequest, Secret};
use crate::tui::form::{Field, Form, FormKey};
use crate::tui::screens::Reply;

use super::{PosPopup, PosScreen, SaleDraft};

/// The longest reason kept with a discount.
const REASON_CHARS: usize = 120;

impl PosScreen {
    /// Opens the discount form on the selected line (`whole_sale`: on the sale), showing the
    /// discount it has.
    pub(super) fn open_discount(&mut self, whole_sale: bool) {
        if self.sale.recorded.is_some() {
            self.error = Some("This sale is recorded as it is: its discounts are fixed.".into());
            return;
        }
        let Some(line) = self.sale.lines.get(self.selected) else {
            self.error = Some("Scan an item first: a discount comes off a sale.".into());
            return;
        };
        let product = (!whole_sale).then_some(line.product_id);
        let title = match product {
            Some(_) => format!("Discount on {} (Ctrl+D: on the whole sale)", line.name),
            None => "Discount on the whole sale (Ctrl+D: on the line)".to_owned(),
        };
        let given = self.sale.discount_on(product);
        let form = Form::new(
            title,
            vec![
                Field::new("Off", given.map_or(String::new(), |d| d.off.label()))
                    .max(12)
                    .rule(|text| match text.trim() {
                        "" => Ok(()),
                        typed => Off::parse(typed).map(|_| ()).map_err(|e| e.to_string()),
                    }),
                Field::new("Reason", given.map_or("", |d| d.reason.as_str())).max(REASON_CHARS),
            ],
        );
        self.popup = Some(PosPopup::Discount { product, form });
    }

    pub(super) fn on_discount_key(&mut self, key: &KeyEvent) -> Reply {
        let ctrl_d =
            key.code == KeyCode::Char('d') && key.modifiers.contains(KeyModifiers::CONTROL);
        match self.popup.as_mut() {
            Some(PosPopup::Discount { product, .. }) if ctrl_d => {
                let whole_sale = product.is_some();
                self.open_discount(whole_sale);
            }
            Some(PosPopup::Discount { product, form }) => match form.on_key(key) {
                FormKey::Cancel => self.popup = None,
                FormKey::Nothing => {}
                FormKey::Submit => {
                    let product = *product;
                    match asked(&self.sale, product, form.value("Off"), form.value("Reason")) {
                        Ok(discounts) => self.give(discounts),
                        Err(err) => form.refused(&err),
                    }
                }
            },
            Some(PosPopup::DiscountApproval { form, .. }) => match form.on_key(key) {
                FormKey::Cancel => self.popup = None,
                FormKey::Nothing => {}
                FormKey::Submit => {
                    return Reply::Run(Effect::Pos(PosRequest::ApproveDiscount {
                        sale_key: self.sale.key,
                        username: form.value("Admin").trim().to_owned(),
                        password: Secret(form.value("Password").to_owned()),
                    }));
                }
            },
            _ => {}
        }
        Reply::Nothing
    }

    /// Gives `discounts` when within the cashier's limit (an unknown limit counts as none),
    /// else asks for an admin's approval first.
    fn give(&mut self, discounts: Vec<Discount>) {
        let lines = self.sale.shelf_values();
        let over = match (work_out(&lines, &discounts), self.discount_limit) {
            (Ok(worked), Some(limit)) => over_limit(&lines, &worked, limit),
            _ => true,
        };
        if over {
            let limit = self
                .discount_limit
                .map_or("the cashier's limit".to_owned(), |l| format!("{l}%"));
            let form = Form::new(
                format!("Over {limit} off a line: an admin approves with their password"),
                vec![
                    Field::new("Admin", "").max(32),
                    Field::new("Password", "").secret(),
                ],
            );
            self.popup = Some(PosPopup::DiscountApproval { discounts, form });
            return;
        }
        self.apply_discounts(discounts, None);
    }

    fn apply_discounts(&mut self, discounts: Vec<Discount>, approval: Option<Approval>) {
        self.notice = Some(match (&approval, discounts.is_empty()) {
            (Some(a), _) => format!("Discount approved by {}.", a.admin),
            (None, true) => "No discount.".to_owned(),
            (None, false) => "Discount given.".to_owned(),
        });
        self.sale.discounts = discounts;
        self.sale.approval = approval;
        self.popup = None;
    }

    /// The admin's answer: the discounts are given with the approval, or the form says why
    /// not.
    pub(super) fn on_discount_approved(&mut self, result: Result<Approval>) {
        match (result, self.popup.take()) {
            (Ok(approval), Some(PosPopup::DiscountApproval { discounts, .. })) => {
                self.apply_discounts(discounts, Some(approval));
            }
            (
                Err(err),
                Some(PosPopup::DiscountApproval {
                    discounts,
                    mut form,
                }),
            ) => {
                form.refused(&err);
                if let Some(password) = form.fields.iter_mut().find(|f| f.label == "Password") {
                    password.input.reset();
                }
                self.popup = Some(PosPopup::DiscountApproval { discounts, form });
            }
            // The popup was closed meanwhile: the approval is not used.
            (_, popup) => self.popup = popup,
        }
    }
}

/// The sale's discounts with the one typed for `product` (or the sale), checked as the
/// database checks them; nothing typed takes it away.
fn asked(
    sale: &SaleDraft,
    product: Option<Uuid>,
    off: &str,
    reason: &str,
) -> Result<Vec<Discount>> {
    let discount = match off.trim() {
        "" => None,
        typed => {
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(Error::invalid(
                    "Reason",
                    "say why (it is kept with the sale)",
                ));
            }
            Some(Discount {
                product,
                off: Off::parse(typed)?,
                reason: reason.to_owned(),
            })
        }
    };
    let discounts = sale.discounts_with(product, discount);
    work_out(&sale.shelf_values(), &discounts).map_err(|err| match err {
        Error::Invalid { message, .. } => Error::invalid("Off", message),
        other => other,
    })?;
    Ok(discounts)
}
