//! Paying for an order: choose how, then follow it live — the M-Pesa push on the phone,
//! the card terminal, or the PayPal link as a QR code — until it is paid or says why not.
//! A failure can be retried (the order's one payment is reused) or left for later.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::Line;
use tui_input::Input;
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::payment::{PaymentMethod, PaymentStatus, PaymentSummary, RequestState};
use crate::domain::values::Phone;
use crate::tui::effect::{Effect, PayAnswer, PayRequest};
use crate::tui::screens::edit;
use crate::tui::theme::Theme;

/// What a customer is told where no provider takes payments.
pub const NOTHING_OFFERED: &str =
    "No way to pay on this screen in this shop: please pay at the till (the order waits).";

/// Ask the provider again every this many ticks (120 ms each) while waiting.
const POLL_TICKS: u64 = 20;

#[derive(Debug, Clone)]
pub enum Stage {
    Choose,
    Phone {
        error: Option<String>,
    },
    /// Waiting for the provider's first answer (push sent, order created).
    Sending,
    Waiting {
        payment_id: Uuid,
        link: Option<String>,
    },
    /// The provider's answer was lost: the payment may have gone through; the shop
    /// confirms it (the screen still follows it, so a confirmation shows here).
    Unresolved {
        payment_id: Uuid,
    },
    Paid {
        reference: String,
    },
    Failed {
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct PayFlow {
    pub order_id: Uuid,
    pub total: Money,
    pub method: PaymentMethod,
    /// The methods a provider takes here; no other is offered.
    pub offered: Vec<PaymentMethod>,
    pub phone: Input,
    pub stage: Stage,
}

impl PayFlow {
    /// Pays by `method` if it is offered, else by the first method that is.
    pub fn new(
        order_id: Uuid,
        total: Money,
        method: Option<PaymentMethod>,
        offered: &[PaymentMethod],
    ) -> PayFlow {
        let method = method
            .filter(|m| offered.contains(m))
            .or_else(|| offered.first().copied());
        PayFlow {
            order_id,
            total,
            method: method.unwrap_or(PaymentMethod::Cash),
            offered: offered.to_vec(),
            phone: Input::default(),
            stage: match method {
                Some(_) => Stage::Choose,
                None => Stage::Failed {
                    reason: NOTHING_OFFERED.into(),
                },
            },
        }
    }

    pub fn text_focused(&self) -> bool {
        matches!(self.stage, Stage::Phone { .. })
    }

    /// True while this flow waits for payment `id`.
    pub fn waits_for(&self, id: Uuid) -> bool {
        matches!(self.stage, Stage::Waiting { payment_id, .. } | Stage::Unresolved { payment_id }
            if payment_id == id)
    }

    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Paid { .. })
    }

    /// The M-Pesa phone offered first (the buyer's, from their account); it can be changed.
    pub fn with_phone(mut self, phone: Option<&str>) -> PayFlow {
        self.phone = Input::new(phone.unwrap_or_default().to_owned());
        self
    }

    /// Starts paying with the chosen method (M-Pesa asks for the phone first).
    pub fn start(&mut self) -> Option<Effect> {
        let request = match self.method {
            PaymentMethod::Mpesa => {
                self.stage = Stage::Phone { error: None };
                return None;
            }
            PaymentMethod::Card => PayRequest::Card(self.order_id),
            PaymentMethod::Paypal => PayRequest::Paypal(self.order_id),
            PaymentMethod::Cash => return None,
        };
        self.stage = Stage::Sending;
        Some(Effect::Pay(request))
    }

    /// Keys; Esc (outside the phone field's own Esc) is the app's: it closes the popup.
    pub fn on_key(&mut self, key: &KeyEvent) -> Option<Effect> {
        match (&mut self.stage, key.code) {
            (Stage::Choose, KeyCode::Char(c)) => {
                if let Some(method) = chosen(c, &self.offered) {
                    self.method = method;
                }
                None
            }
            (Stage::Choose, KeyCode::Enter) => self.start(),
            (Stage::Phone { error }, KeyCode::Enter) => match Phone::parse(self.phone.value()) {
                Ok(phone) => {
                    self.stage = Stage::Sending;
                    Some(Effect::Pay(PayRequest::Mpesa {
                        order_id: self.order_id,
                        phone: phone.to_string(),
                    }))
                }
                Err(err) => {
                    *error = Some(err.to_string());
                    None
                }
            },
            (Stage::Phone { error }, _) => {
                if edit(&mut self.phone, key) {
                    *error = None;
                }
                None
            }
            (Stage::Failed { .. }, KeyCode::Char('r')) if !self.offered.is_empty() => {
                self.stage = Stage::Choose;
                None
            }
            _ => None,
        }
    }

    /// While waiting, asks the provider again now and then.
    pub fn on_tick(&self, ticks: u64) -> Option<Effect> {
        match &self.stage {
            Stage::Waiting { payment_id, .. } if ticks.is_multiple_of(POLL_TICKS) => {
                Some(Effect::Pay(PayRequest::Status(*payment_id)))
            }
            _ => None,
        }
    }

    pub fn on_answer(&mut self, answer: PayAnswer) {
        let (result, link) = match answer {
            PayAnswer::Payment(result) => (result, None),
            PayAnswer::Paypal(result) => match result {
                Ok((payment, link)) => (Ok(payment), Some(link)),
                Err(err) => (Err(err), None),
            },
        };
        self.stage = match result {
            Err(err) => Stage::Failed {
                reason: err.to_string(),
            },
            Ok(payment) => self.stage_of(&payment, link),
        };
    }

    fn stage_of(&self, payment: &PaymentSummary, link: Option<String>) -> Stage {
        match payment.status {
            PaymentStatus::Successful => Stage::Paid {
                reference: payment.transaction_id.clone().unwrap_or_default(),
            },
            PaymentStatus::Failed | PaymentStatus::Refunded => Stage::Failed {
                reason: payment
                    .failure_reason
                    .clone()
                    .unwrap_or_else(|| "The payment did not go through.".into()),
            },
            PaymentStatus::Pending if payment.request_state == Some(RequestState::Unresolved) => {
                Stage::Unresolved {
                    payment_id: payment.id,
                }
            }
            PaymentStatus::Pending => Stage::Waiting {
                payment_id: payment.id,
                // Keep the link once shown; status answers do not repeat it.
                link: link.or_else(|| match &self.stage {
                    Stage::Waiting { link, .. } => link.clone(),
                    _ => None,
                }),
            },
        }
    }

    /// The popup's lines.
    pub fn lines(&self, theme: Theme) -> Vec<Line<'static>> {
        let mut total = vec![
            ratatui::text::Span::raw("Total "),
            ratatui::text::Span::styled(self.total.to_string(), theme.money()),
        ];
        if !self.offered.is_empty() {
            total.push(ratatui::text::Span::raw(format!(
                "   by {}",
                self.method.label()
            )));
        }
        let mut lines = vec![Line::from(total)];
        match &self.stage {
            Stage::Choose => {
                lines.push(Line::raw(""));
                lines.push(Line::raw(choices(&self.offered)));
                lines.push(Line::styled(
                    "Enter: pay   Esc: pay later (the order waits)",
                    theme.dim(),
                ));
            }
            Stage::Phone { error } => {
                lines.push(Line::raw(
                    "M-Pesa phone number (the PIN request goes there):",
                ));
                lines.push(Line::styled(
                    format!("{}▏", self.phone.value()),
                    theme.selected(),
                ));
                lines.push(match error {
                    Some(e) => Line::styled(e.clone(), theme.error()),
                    None => Line::styled("Enter: send   Esc: later", theme.dim()),
                });
            }
            Stage::Sending => lines.push(Line::styled("Contacting the provider…", theme.dim())),
            Stage::Waiting { link, .. } => match (self.method, link) {
                (PaymentMethod::Paypal, Some(link)) => {
                    lines.push(Line::raw("Scan with your phone to approve in PayPal:"));
                    match crate::tui::qr::lines(link) {
                        Some(qr) => lines.extend(qr.into_iter().map(Line::raw)),
                        None => lines.push(Line::raw(link.clone())),
                    }
                    lines.push(Line::styled("Waiting for your approval…", theme.dim()));
                }
                (PaymentMethod::Mpesa, _) => {
                    lines.push(Line::raw(format!(
                        "Request sent to {}. Enter your M-Pesa PIN on the phone.",
                        self.phone.value()
                    )));
                    lines.push(Line::styled(
                        "Waiting for M-Pesa… PIN entered? It is being confirmed (up to two minutes).",
                        theme.dim(),
                    ));
                }
                _ => lines.push(Line::styled(
                    "Follow the card terminal. Waiting for its answer…",
                    theme.dim(),
                )),
            },
            Stage::Unresolved { .. } => {
                lines.push(Line::styled(
                    format!(
                        "{} did not answer in time. If you were asked for your PIN and paid, the shop confirms it: please ask at the counter. Nothing more is asked of you meanwhile.",
                        self.method.label()
                    ),
                    theme.warn(),
                ));
                lines.push(Line::styled("Esc: close (the order waits)", theme.dim()));
            }
            Stage::Paid { reference } => {
                lines.push(Line::styled(
                    format!("Paid. Reference {reference}."),
                    theme.ok(),
                ));
                lines.push(Line::styled("Enter or Esc: close", theme.dim()));
            }
            Stage::Failed { reason } => {
                lines.push(Line::styled(reason.clone(), theme.error()));
                lines.push(Line::styled(
                    if self.offered.is_empty() {
                        "Esc: close"
                    } else {
                        "r: try again   Esc: pay later"
                    },
                    theme.dim(),
                ));
            }
        }
        lines
    }
}

/// The method key `c` picks, if that method is offered.
pub fn chosen(c: char, offered: &[PaymentMethod]) -> Option<PaymentMethod> {
    let method = match c {
        'm' => PaymentMethod::Mpesa,
        'c' => PaymentMethod::Card,
        'p' => PaymentMethod::Paypal,
        _ => return None,
    };
    offered.contains(&method).then_some(method)
}

/// The offered methods with their keys: "m M-Pesa   p PayPal".
pub fn choices(offered: &[PaymentMethod]) -> String {
    let key = |m: &PaymentMethod| match m {
        PaymentMethod::Mpesa => 'm',
        PaymentMethod::Card => 'c',
        PaymentMethod::Paypal => 'p',
        PaymentMethod::Cash => '$',
    };
    offered
        .iter()
        .map(|m| format!("{} {}", key(m), m.label()))
        .collect::<Vec<_>>()
        .join("   ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    const ALL: [PaymentMethod; 3] = [
        PaymentMethod::Mpesa,
        PaymentMethod::Card,
        PaymentMethod::Paypal,
    ];

    fn press(flow: &mut PayFlow, code: KeyCode) -> Option<Effect> {
        flow.on_key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn payment(status: PaymentStatus, reason: Option<&str>) -> PaymentSummary {
        PaymentSummary {
            id: Uuid::from_u128(5),
            order_id: Uuid::from_u128(1),
            user_id: Uuid::nil(),
            amount: Money::from_cents(100),
            method: PaymentMethod::Mpesa,
            status,
            transaction_id: (status == PaymentStatus::Successful).then(|| "QKH94M1Z11".into()),
            paid_at: None,
            confirmed_by: None,
            failure_reason: reason.map(str::to_owned),
            created_at: chrono::Utc::now(),
            gateway_ref: None,
            card_brand: None,
            card_last4: None,
            request_state: None,
            taken_by: None,
        }
    }

    #[test]
    fn mpesa_asks_for_a_phone_then_waits_polls_and_shows_the_outcome() {
        let mut flow = PayFlow::new(Uuid::from_u128(1), Money::from_cents(100), None, &ALL);
        assert!(press(&mut flow, KeyCode::Enter).is_none());
        assert!(flow.text_focused());
        for c in "0712x".chars() {
            press(&mut flow, KeyCode::Char(c));
        }
        assert!(
            press(&mut flow, KeyCode::Enter).is_none(),
            "not a phone number"
        );
        press(&mut flow, KeyCode::Backspace);
        for c in "345678".chars() {
            press(&mut flow, KeyCode::Char(c));
        }
        assert_eq!(
            press(&mut flow, KeyCode::Enter),
            Some(Effect::Pay(PayRequest::Mpesa {
                order_id: Uuid::from_u128(1),
                phone: "254712345678".into()
            }))
        );
        flow.on_answer(PayAnswer::Payment(Ok(payment(
            PaymentStatus::Pending,
            None,
        ))));
        assert_eq!(
            flow.on_tick(POLL_TICKS * 3),
            Some(Effect::Pay(PayRequest::Status(Uuid::from_u128(5))))
        );
        assert_eq!(flow.on_tick(POLL_TICKS * 3 + 1), None);
        flow.on_answer(PayAnswer::Payment(Ok(payment(
            PaymentStatus::Failed,
            Some("The M-Pesa PIN was wrong; send the request again."),
        ))));
        assert!(matches!(&flow.stage, Stage::Failed { reason } if reason.contains("PIN")));
        press(&mut flow, KeyCode::Char('r'));
        assert!(matches!(flow.stage, Stage::Choose));
        flow.on_answer(PayAnswer::Payment(Ok(payment(
            PaymentStatus::Successful,
            None,
        ))));
        assert!(flow.is_done());
    }

    #[test]
    fn card_and_paypal_start_at_once_and_paypal_keeps_its_link() {
        let mut flow = PayFlow::new(Uuid::from_u128(1), Money::from_cents(100), None, &ALL);
        press(&mut flow, KeyCode::Char('c'));
        assert_eq!(
            press(&mut flow, KeyCode::Enter),
            Some(Effect::Pay(PayRequest::Card(Uuid::from_u128(1))))
        );
        let mut flow = PayFlow::new(Uuid::from_u128(1), Money::from_cents(100), None, &ALL);
        press(&mut flow, KeyCode::Char('p'));
        press(&mut flow, KeyCode::Enter);
        flow.on_answer(PayAnswer::Paypal(Ok((
            payment(PaymentStatus::Pending, None),
            "https://paypal.example/approve".into(),
        ))));
        flow.on_answer(PayAnswer::Payment(Ok(payment(
            PaymentStatus::Pending,
            None,
        ))));
        assert!(
            matches!(&flow.stage, Stage::Waiting { link: Some(l), .. } if l.contains("approve"))
        );
    }

    #[test]
    fn only_offered_methods_can_be_chosen() {
        let offered = [PaymentMethod::Mpesa, PaymentMethod::Paypal];
        let mut flow = PayFlow::new(
            Uuid::from_u128(1),
            Money::from_cents(100),
            Some(PaymentMethod::Card),
            &offered,
        );
        assert_eq!(flow.method, PaymentMethod::Mpesa, "card is not offered");
        press(&mut flow, KeyCode::Char('c'));
        assert_eq!(flow.method, PaymentMethod::Mpesa);
        let shown: Vec<String> = flow
            .lines(Theme::plain())
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert!(
            shown.contains(&"m M-Pesa   p PayPal".to_owned()),
            "{shown:?}"
        );

        let mut nowhere = PayFlow::new(Uuid::from_u128(1), Money::from_cents(100), None, &[]);
        assert!(matches!(&nowhere.stage, Stage::Failed { reason } if reason == NOTHING_OFFERED));
        assert_eq!(press(&mut nowhere, KeyCode::Char('r')), None);
        assert!(
            matches!(nowhere.stage, Stage::Failed { .. }),
            "nothing to retry with"
        );
    }

    #[test]
    fn a_lost_answer_says_the_shop_confirms_it_and_keeps_following_the_payment() {
        let mut flow = PayFlow::new(Uuid::from_u128(1), Money::from_cents(100), None, &ALL);
        let mut unresolved = payment(PaymentStatus::Pending, None);
        unresolved.request_state = Some(RequestState::Unresolved);
        flow.on_answer(PayAnswer::Payment(Ok(unresolved)));
        assert!(matches!(flow.stage, Stage::Unresolved { .. }));
        assert!(
            flow.waits_for(Uuid::from_u128(5)),
            "a confirmation still shows"
        );
        let shown: String = flow
            .lines(Theme::plain())
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert!(shown.contains("please ask at the counter"), "{shown}");
        flow.on_answer(PayAnswer::Payment(Ok(payment(
            PaymentStatus::Successful,
            None,
        ))));
        assert!(flow.is_done());
    }
}
