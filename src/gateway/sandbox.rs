//! A stand-in for the providers, the demo's default: it answers the way they do (accepted,
//! pending for a moment, then paid or one of the failure codes; callbacks with receipt
//! numbers; PayPal approval and capture), so every flow can be tried without credentials.
//!
//! M-Pesa outcome by the phone number's last digit: 1 balance too low, 2 cancelled by the
//! customer, 3 phone unreachable, 4 wrong PIN, 5 expired, 6 another payment in progress;
//! any other digit pays.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;
use uuid::Uuid;

use super::GatewayError;
use super::mpesa::{PushAccepted, StkPush, StkStatus};
use super::paypal::{Approval, Capture, CaptureOutcome, Created};

#[derive(Debug)]
struct Push {
    at: Instant,
    code: i64,
    amount: u64,
    phone: String,
    receipt: String,
}

#[derive(Debug)]
pub struct Sandbox {
    /// How long the pretend customer takes to answer.
    pub delay: Duration,
    pushes: Mutex<HashMap<String, Push>>,
    paypal: Mutex<HashMap<String, Instant>>,
}

/// A card approved by the pretend card terminal: only what may be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardApproval {
    pub reference: String,
    pub brand: String,
    pub last4: String,
}

fn code_for(phone: &str) -> i64 {
    match phone.chars().last() {
        Some('1') => 1,
        Some('2') => 1032,
        Some('3') => 1037,
        Some('4') => 2001,
        Some('5') => 1019,
        Some('6') => 1001,
        _ => 0,
    }
}

/// Ten upper-case letters and digits, like a real M-Pesa receipt.
fn receipt() -> String {
    format!("SB{}", &Uuid::new_v4().simple().to_string()[..8]).to_uppercase()
}

impl Sandbox {
    pub fn new(delay: Duration) -> Sandbox {
        Sandbox {
            delay,
            pushes: Mutex::new(HashMap::new()),
            paypal: Mutex::new(HashMap::new()),
        }
    }

    fn answered(&self, since: Instant) -> bool {
        since.elapsed() >= self.delay
    }

    pub fn stk_push(&self, push: &StkPush) -> Result<PushAccepted, GatewayError> {
        let phone = push.phone.to_string();
        let checkout = format!("ws_CO_SANDBOX_{}", Uuid::new_v4().simple());
        let push = Push {
            at: Instant::now(),
            code: code_for(&phone),
            amount: push.amount,
            phone,
            receipt: receipt(),
        };
        self.pushes
            .lock()
            .map_err(|_| GatewayError::Unreachable("sandbox".into()))?
            .insert(checkout.clone(), push);
        Ok(PushAccepted {
            merchant_request_id: format!("SANDBOX-{}", Uuid::new_v4().simple()),
            checkout_request_id: checkout,
        })
    }

    pub fn stk_query(&self, checkout_request_id: &str) -> Result<StkStatus, GatewayError> {
        let pushes = self
            .pushes
            .lock()
            .map_err(|_| GatewayError::Unreachable("sandbox".into()))?;
        let push = pushes
            .get(checkout_request_id)
            .ok_or_else(|| GatewayError::Refused("no such request".into()))?;
        Ok(if self.answered(push.at) {
            StkStatus::from_code(push.code)
        } else {
            StkStatus::Pending
        })
    }

    /// The callback Safaricom would post for this push once the customer has answered.
    pub fn callback(&self, checkout_request_id: &str) -> Option<serde_json::Value> {
        let pushes = self.pushes.lock().ok()?;
        let push = pushes.get(checkout_request_id)?;
        let mut callback = json!({
            "MerchantRequestID": "SANDBOX",
            "CheckoutRequestID": checkout_request_id,
            "ResultCode": push.code,
            "ResultDesc": super::mpesa::explain(push.code),
        });
        if push.code == 0 {
            let date = crate::domain::clock::shop_time(chrono::Utc::now())
                .format("%Y%m%d%H%M%S")
                .to_string();
            callback["CallbackMetadata"] = json!({ "Item": [
                { "Name": "Amount", "Value": push.amount },
                { "Name": "MpesaReceiptNumber", "Value": push.receipt },
                { "Name": "TransactionDate", "Value": date.parse::<u64>().unwrap_or(0) },
                { "Name": "PhoneNumber", "Value": push.phone.parse::<u64>().unwrap_or(0) },
            ]});
        }
        Some(json!({ "Body": { "stkCallback": callback } }))
    }

    pub fn paypal_create(&self) -> Created {
        let order_id =
            format!("SANDBOX{}", &Uuid::new_v4().simple().to_string()[..14]).to_uppercase();
        if let Ok(mut orders) = self.paypal.lock() {
            orders.insert(order_id.clone(), Instant::now());
        }
        Created {
            approve_url: format!("https://www.sandbox.paypal.com/checkoutnow?token={order_id}"),
            order_id,
        }
    }

    pub fn paypal_approval(&self, order_id: &str) -> Approval {
        match self
            .paypal
            .lock()
            .ok()
            .and_then(|o| o.get(order_id).copied())
        {
            None => Approval::Gone("No such PayPal order.".into()),
            Some(at) if self.answered(at) => Approval::Approved,
            Some(_) => Approval::Waiting,
        }
    }

    pub fn paypal_capture(
        &self,
        order_id: &str,
        amount: &str,
        currency: &str,
    ) -> Result<CaptureOutcome, GatewayError> {
        match self.paypal_approval(order_id) {
            Approval::Approved => Ok(CaptureOutcome::Completed(Capture {
                // A capture id per order: capturing again gives the same one, as PayPal does.
                capture_id: format!("CAP{}", &order_id[7..]),
                amount: amount.to_owned(),
                currency: currency.to_owned(),
            })),
            _ => Err(GatewayError::Refused("the order is not approved".into())),
        }
    }

    /// The pretend card terminal approves after the delay.
    pub fn card(&self) -> CardApproval {
        CardApproval {
            reference: format!("TRM-{}", &Uuid::new_v4().simple().to_string()[..10]).to_uppercase(),
            brand: "VISA".into(),
            last4: "4242".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::values::Phone;

    fn push(phone: &str) -> StkPush {
        StkPush {
            phone: Phone::parse(phone).unwrap(),
            amount: 100,
            account_reference: "ORDER1".into(),
            description: "test".into(),
        }
    }

    #[test]
    fn a_push_is_pending_then_paid_with_a_callback_carrying_a_receipt() {
        let sandbox = Sandbox::new(Duration::from_millis(30));
        let accepted = sandbox.stk_push(&push("0712345678")).unwrap();
        assert_eq!(
            sandbox.stk_query(&accepted.checkout_request_id).unwrap(),
            StkStatus::Pending
        );
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(
            sandbox.stk_query(&accepted.checkout_request_id).unwrap(),
            StkStatus::Paid
        );
        let body = sandbox.callback(&accepted.checkout_request_id).unwrap();
        let cb: super::super::mpesa::CallbackEnvelope = serde_json::from_value(body).unwrap();
        let receipt = cb.body.stk_callback.receipt().unwrap();
        assert!(
            crate::domain::payment::TransactionId::parse(
                crate::domain::payment::PaymentMethod::Mpesa,
                &receipt
            )
            .is_ok()
        );
    }

    #[test]
    fn the_last_digit_picks_the_failure() {
        let sandbox = Sandbox::new(Duration::ZERO);
        for (phone, code) in [
            ("0712345672", 1032),
            ("0712345674", 2001),
            ("0712345671", 1),
        ] {
            let accepted = sandbox.stk_push(&push(phone)).unwrap();
            assert!(matches!(
                sandbox.stk_query(&accepted.checkout_request_id).unwrap(),
                StkStatus::Failed { code: c, .. } if c == code
            ));
        }
    }
}
