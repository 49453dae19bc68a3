"""The sandbox payment gateway's own card page (stands in for Pay.gov's hosted page). A session that can take no
charge (paid, refunded since, or expired) sends the traveler straight back to the return URL, whose answer says
which; only an open session shows the card form."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template

from trusted_traveler.auth.policy import public
from trusted_traveler.extensions import db, limiter
from trusted_traveler.payments.sandbox import TEST_CARDS, SandboxGateway, is_closed
from trusted_traveler.web.forms import SandboxCardForm

bp = Blueprint("sandbox_pay", __name__, url_prefix="/sandbox/pay")


@bp.route("/<token>", methods=["GET", "POST"])
@public  # the gateway's page: the unguessable token is the credential, as on Pay.gov
@limiter.limit("30/minute", methods=["POST"])
def pay(token: str):
    gateway = SandboxGateway()
    txn = gateway.transaction(token)
    form = SandboxCardForm()
    if is_closed(txn):
        return redirect(f"{txn.return_url}?{urlencode({'token': token})}")
    if form.validate_on_submit():
        gateway.charge(txn, form.card_number.data)
        db.session.commit()
        return redirect(f"{txn.return_url}?{urlencode({'token': token})}")
    back = f"{txn.return_url}?{urlencode({'token': token})}"
    return render_template("sandbox_pay/pay.html", txn=txn, form=form, test_cards=TEST_CARDS, return_link=back), (
        400 if form.errors else 200
    )
