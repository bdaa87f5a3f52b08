//! Which provider each payment method goes to (from the config): the real one when it is
//! configured, else the sandbox.

use std::sync::Arc;
use std::time::Duration;

use crate::gateway::GatewayError;
use crate::gateway::daraja::Daraja;
use crate::gateway::mpesa::{PushAccepted, StkPush, StkStatus};
use crate::gateway::paypal::{Approval, Capture, Created, Paypal};
use crate::gateway::sandbox::{CardApproval, Sandbox};

#[derive(Debug, Clone)]
pub struct Gateways {
    sandbox: Arc<Sandbox>,
    daraja: Option<Arc<Daraja>>,
    paypal: Option<Arc<Paypal>>,
}

impl Gateways {
    /// Everything through the sandbox, answering after `delay`.
    pub fn sandbox(delay: Duration) -> Gateways {
        Gateways {
            sandbox: Arc::new(Sandbox::new(delay)),
            daraja: None,
            paypal: None,
        }
    }

    pub fn with_daraja(mut self, daraja: Daraja) -> Gateways {
        self.daraja = Some(Arc::new(daraja));
        self
    }

    pub fn with_paypal(mut self, paypal: Paypal) -> Gateways {
        self.paypal = Some(Arc::new(paypal));
        self
    }

    pub async fn stk_push(&self, push: &StkPush) -> Result<PushAccepted, GatewayError> {
        match &self.daraja {
            Some(daraja) => daraja.stk_push(push).await,
            None => self.sandbox.stk_push(push),
        }
    }

    pub async fn stk_query(&self, checkout_request_id: &str) -> Result<StkStatus, GatewayError> {
        match &self.daraja {
            Some(daraja) => daraja.stk_query(checkout_request_id).await,
            None => self.sandbox.stk_query(checkout_request_id),
        }
    }

    /// With the sandbox, the callback Safaricom would post once the customer answered (the
    /// caller waits [`Gateways::sandbox_delay`] first). None with the real Daraja: its
    /// callbacks come to `bytemtaani callbacks`.
    pub fn sandbox_callback(&self, checkout_request_id: &str) -> Option<serde_json::Value> {
        match self.daraja {
            Some(_) => None,
            None => self.sandbox.callback(checkout_request_id),
        }
    }

    pub fn sandbox_delay(&self) -> Duration {
        self.sandbox.delay
    }

    /// The amount PayPal is asked for, in its currency.
    pub fn paypal_amount(&self, total: crate::domain::Money) -> String {
        match &self.paypal {
            Some(paypal) => paypal.charge_for(total),
            None => total.amount().to_string(),
        }
    }

    pub async fn paypal_create(
        &self,
        reference: &str,
        amount: &str,
        request_id: &str,
    ) -> Result<Created, GatewayError> {
        match &self.paypal {
            Some(paypal) => paypal.create(reference, amount, request_id).await,
            None => Ok(self.sandbox.paypal_create()),
        }
    }

    pub async fn paypal_approval(&self, order_id: &str) -> Result<Approval, GatewayError> {
        match &self.paypal {
            Some(paypal) => paypal.approval(order_id).await,
            None => Ok(self.sandbox.paypal_approval(order_id)),
        }
    }

    pub async fn paypal_capture(
        &self,
        order_id: &str,
        request_id: &str,
        amount: &str,
    ) -> Result<Capture, GatewayError> {
        match &self.paypal {
            Some(paypal) => paypal.capture(order_id, request_id).await,
            None => self.sandbox.paypal_capture(order_id, amount),
        }
    }

    /// A card paid at the kiosk's terminal. Only the sandbox terminal is built in; a real
    /// terminal's approval reference is typed at the till instead.
    pub async fn card(&self) -> Result<CardApproval, GatewayError> {
        tokio::time::sleep(self.sandbox.delay).await;
        Ok(self.sandbox.card())
    }
}
