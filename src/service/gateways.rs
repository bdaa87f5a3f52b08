//! Which provider each payment method goes to (from the config): a real one, the sandbox
//! (pretend: it answers like the provider and takes no money), or none at all. Nothing is
//! pretend unless the config (or a test, or the demo) asks for it.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::payment::PaymentMethod;
use crate::gateway::GatewayError;
use crate::gateway::daraja::Daraja;
use crate::gateway::mpesa::{PushAccepted, StkPush, StkStatus};
use crate::gateway::paypal::{Approval, CaptureOutcome, Created, Paypal};
use crate::gateway::sandbox::{CardApproval, Sandbox};

/// Who takes a payment method.
#[derive(Debug)]
enum Provider<T> {
    Off,
    Sandbox,
    Live(Arc<T>),
}

// Derived Clone would ask T to be Clone; only the Arc is cloned.
impl<T> Clone for Provider<T> {
    fn clone(&self) -> Self {
        match self {
            Provider::Off => Provider::Off,
            Provider::Sandbox => Provider::Sandbox,
            Provider::Live(live) => Provider::Live(live.clone()),
        }
    }
}

impl<T> Provider<T> {
    fn is_on(&self) -> bool {
        !matches!(self, Provider::Off)
    }
}

/// No real card terminal is integrated yet: a kiosk takes cards only in the sandbox.
#[derive(Debug)]
pub enum NoCardTerminal {}

/// Who confirms payments customers make to the shop's till number or paybill (C2B).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TillConfirmations {
    /// Nobody: a code typed at the till waits for an admin to check it.
    Off,
    /// `bytemtaani sandbox till-payment` makes one, as a customer's phone would (no money).
    Sandbox,
    /// Safaricom posts them to the receiver's address that ends in `token`, for
    /// `short_code`. Only the receiver's process holds the token.
    Daraja {
        short_code: String,
        token: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Gateways {
    sandbox: Arc<Sandbox>,
    mpesa: Provider<Daraja>,
    paypal: Provider<Paypal>,
    card: Provider<NoCardTerminal>,
    till: TillConfirmations,
}

/// The sandbox charges PayPal in shillings, as the order totals are.
const SANDBOX_CURRENCY: &str = "KES";

fn off(what: &str) -> GatewayError {
    GatewayError::NotConfigured(format!("{what} is not offered in this shop"))
}

impl Gateways {
    /// No provider at all: cash, and references typed at the till.
    pub fn none(sandbox_delay: Duration) -> Gateways {
        Gateways {
            sandbox: Arc::new(Sandbox::new(sandbox_delay)),
            mpesa: Provider::Off,
            paypal: Provider::Off,
            card: Provider::Off,
            till: TillConfirmations::Off,
        }
    }

    /// Everything pretend, answering after `delay` (the demo and tests).
    pub fn sandbox(delay: Duration) -> Gateways {
        Gateways::none(delay)
            .with_sandbox_mpesa()
            .with_sandbox_paypal()
            .with_sandbox_card()
    }

    pub fn with_daraja(mut self, daraja: Daraja) -> Gateways {
        self.mpesa = Provider::Live(Arc::new(daraja));
        self
    }

    pub fn with_paypal(mut self, paypal: Paypal) -> Gateways {
        self.paypal = Provider::Live(Arc::new(paypal));
        self
    }

    pub fn with_sandbox_mpesa(mut self) -> Gateways {
        self.mpesa = Provider::Sandbox;
        self
    }

    pub fn with_sandbox_paypal(mut self) -> Gateways {
        self.paypal = Provider::Sandbox;
        self
    }

    pub fn with_sandbox_card(mut self) -> Gateways {
        self.card = Provider::Sandbox;
        self
    }

    pub fn with_till_confirmations(mut self, till: TillConfirmations) -> Gateways {
        self.till = till;
        self
    }

    pub fn till_confirmations(&self) -> &TillConfirmations {
        &self.till
    }

    /// Registers the receiver's till-payment addresses under `base` (its public https
    /// address ending in /mpesa/c2b) with Safaricom; Safaricom's answer.
    pub async fn register_till_number(&self, base: &str) -> Result<String, GatewayError> {
        let (
            Provider::Live(daraja),
            TillConfirmations::Daraja {
                short_code,
                token: Some(token),
            },
        ) = (&self.mpesa, &self.till)
        else {
            return Err(GatewayError::NotConfigured(
                "registering needs payments.mpesa = \"daraja\", payments.till_confirmations = \"daraja\" and BYTEMTAANI_C2B_TOKEN".into(),
            ));
        };
        let base = base.trim_end_matches('/');
        daraja
            .register_c2b(
                short_code,
                &format!("{base}/{token}/confirmation"),
                &format!("{base}/{token}/validation"),
            )
            .await
    }

    /// True when a customer can pay by `method` through a provider here (at a kiosk or
    /// their own screen). Cash and references typed at the till do not need one.
    pub fn offers(&self, method: PaymentMethod) -> bool {
        match method {
            PaymentMethod::Mpesa => self.mpesa.is_on(),
            PaymentMethod::Paypal => self.paypal.is_on(),
            PaymentMethod::Card => self.card.is_on(),
            PaymentMethod::Cash => false,
        }
    }

    /// True while any provider is the sandbox: payments may be pretend, and every screen
    /// and receipt says so.
    pub fn pretend(&self) -> bool {
        matches!(self.mpesa, Provider::Sandbox)
            || matches!(self.paypal, Provider::Sandbox)
            || matches!(self.card, Provider::Sandbox)
            || self.till == TillConfirmations::Sandbox
    }

    pub async fn stk_push(&self, push: &StkPush) -> Result<PushAccepted, GatewayError> {
        match &self.mpesa {
            Provider::Live(daraja) => daraja.stk_push(push).await,
            Provider::Sandbox => self.sandbox.stk_push(push),
            Provider::Off => Err(off("M-Pesa")),
        }
    }

    pub async fn stk_query(&self, checkout_request_id: &str) -> Result<StkStatus, GatewayError> {
        match &self.mpesa {
            Provider::Live(daraja) => daraja.stk_query(checkout_request_id).await,
            Provider::Sandbox => self.sandbox.stk_query(checkout_request_id),
            Provider::Off => Err(off("M-Pesa")),
        }
    }

    /// With the sandbox, the callback Safaricom would post once the customer answered (the
    /// caller waits [`Gateways::sandbox_delay`] first). None otherwise: Daraja's callbacks
    /// come to `bytemtaani callbacks`.
    pub fn sandbox_callback(&self, checkout_request_id: &str) -> Option<serde_json::Value> {
        match self.mpesa {
            Provider::Sandbox => self.sandbox.callback(checkout_request_id),
            _ => None,
        }
    }

    pub fn sandbox_delay(&self) -> Duration {
        self.sandbox.delay
    }

    /// The amount PayPal is asked for, in its currency.
    pub fn paypal_amount(&self, total: crate::domain::Money) -> String {
        match &self.paypal {
            Provider::Live(paypal) => paypal.charge_for(total),
            _ => total.amount().to_string(),
        }
    }

    pub async fn paypal_create(
        &self,
        reference: &str,
        amount: &str,
        request_id: &str,
    ) -> Result<Created, GatewayError> {
        match &self.paypal {
            Provider::Live(paypal) => paypal.create(reference, amount, request_id).await,
            Provider::Sandbox => Ok(self.sandbox.paypal_create()),
            Provider::Off => Err(off("PayPal")),
        }
    }

    pub async fn paypal_approval(&self, order_id: &str) -> Result<Approval, GatewayError> {
        match &self.paypal {
            Provider::Live(paypal) => paypal.approval(order_id).await,
            Provider::Sandbox => Ok(self.sandbox.paypal_approval(order_id)),
            Provider::Off => Err(off("PayPal")),
        }
    }

    /// The currency PayPal is asked to charge in.
    pub fn paypal_currency(&self) -> &str {
        match &self.paypal {
            Provider::Live(paypal) => paypal.currency(),
            _ => SANDBOX_CURRENCY,
        }
    }

    pub async fn paypal_capture(
        &self,
        order_id: &str,
        request_id: &str,
        amount: &str,
    ) -> Result<CaptureOutcome, GatewayError> {
        match &self.paypal {
            Provider::Live(paypal) => paypal.capture(order_id, request_id).await,
            Provider::Sandbox => self
                .sandbox
                .paypal_capture(order_id, amount, SANDBOX_CURRENCY),
            Provider::Off => Err(off("PayPal")),
        }
    }

    /// A card paid at the kiosk's terminal: only the sandbox's pretend terminal exists (a
    /// real terminal's approval reference is typed at the till instead).
    pub async fn card(&self) -> Result<CardApproval, GatewayError> {
        match &self.card {
            Provider::Sandbox => {
                tokio::time::sleep(self.sandbox.delay).await;
                Ok(self.sandbox.card())
            }
            Provider::Live(never) => match **never {},
            Provider::Off => Err(off("Card payment at this screen")),
        }
    }
}
