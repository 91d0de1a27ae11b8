"""``patchplan serve``: the broker's board, the providers' portal and the
commissioner's patch comparisons, in a browser, with accounts and an audit trail.

The service has no decision logic of its own: every shortlist, allocation,
fit, transfer, demand publication and patch comparison is a job's
(:mod:`patchplan.broker`, :mod:`patchplan.patches`, :mod:`patchplan.report`),
and every offer lives in :class:`patchplan.broker.offers.OfferStore`. This
package adds accounts, sessions, access rules, background jobs and pages.
"""

from patchplan.service.app import create_app
from patchplan.service.config import Settings

__all__ = ["Settings", "create_app"]
