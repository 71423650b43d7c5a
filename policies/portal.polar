# Partner Portal: who may do what.
#
# Three layers, all in this file:
#   1. roles per organization, inherited down the partner hierarchy;
#   2. relationships (account manager of a partner, requester of a request, decider
#      of a step, delegate of an approver);
#   3. conditions on state (active users and orgs, drafts, the current step, no
#      self-approval, no escalation).
#
# The application resolves the hierarchy once per request, so that a check here is a
# lookup and never a walk (the policy table in the test suite proves the answers):
#   user.roles_on(org_id)          the user's effective roles in that org:
#       - a membership role holds in its org and every org beneath it, never above,
#         and not through a suspended org;
#       - the vendor's admins are "admin" everywhere, finance is "viewer" everywhere;
#       - a channel manager assigned to a partner is the "account_manager" of it and
#         of every org beneath it (suspended or not: the vendor keeps sight);
#       - implied roles are included: admin > member > viewer, and every vendor role
#         and "account_manager" include "viewer".
#   user.partner_roles_on(org_id)  the same, from partner memberships only
#   user.vendor_role               the user's role in the vendor org ("" if none)
#   user.delegators                approvers who delegated their approvals to this
#                                  user for today (each a User with their own facts)
#   user.partner_role              the highest partner role held anywhere ("" if none)
# An inactive user has no roles anywhere.

actor User {}

resource Organization {
  roles = [
    # partner roles
    "viewer", "member", "admin",
    # vendor roles (held in the vendor org)
    "staff", "channel_manager", "finance",
    # relation: the vendor's account manager of this partner
    "account_manager"
  ];
  permissions = ["read", "manage_members", "create_partner", "set_status", "create_request", "set_budget"];

  "read" if "viewer";
  "manage_members" if "admin";
}

has_role(user: User, role: String, org: Organization) if
  role in user.roles_on(org.id);

# Only the vendor's admins create partner organizations.
has_permission(user: User, "create_partner", org: Organization) if
  org.is_vendor and has_role(user, "admin", org);

# Only the vendor's admins suspend and reactivate partners; the vendor itself is never
# suspended.
has_permission(user: User, "set_status", org: Organization) if
  not org.is_vendor and user.vendor_role = "admin" and has_role(user, "admin", org);

# The vendor's admins and finance set a partner's marketing-fund (MDF) budgets.
has_permission(user: User, "set_budget", org: Organization) if
  not org.is_vendor and
  user.vendor_role in ["admin", "finance"] and
  has_role(user, "viewer", org);

# Partners raise requests: members and admins of an active partner org (and of the
# orgs beneath theirs). The vendor's staff do not raise requests for partners.
has_permission(user: User, "create_request", org: Organization) if
  not org.is_vendor and "member" in user.partner_roles_on(org.id);

# Accounts: the vendor's admins may disable anyone but themselves; a partner admin may
# disable someone who belongs only to orgs that admin manages.
resource Account {
  permissions = ["disable"];
}

has_permission(user: User, "disable", account: Account) if
  user.id != account.id and
  user.active and
  user.vendor_role = "admin";

has_permission(user: User, "disable", account: Account) if
  user.id != account.id and
  _some in account.orgs and
  forall(org in account.orgs, has_permission(user, "manage_members", org));

# Changing someone's role. Nobody changes their own role, and nobody grants or takes
# away a role above their own.
resource RoleChange {
  permissions = ["apply"];
}

has_permission(user: User, "apply", change: RoleChange) if
  user.id != change.user_id and
  has_permission(user, "manage_members", change.org) and
  within_reach(user, change.role, change.org) and
  within_reach(user, change.current, change.org);

# "" stands for no role: the member being added has none yet, or is being removed.
within_reach(_user: User, "", _org: Organization);
# In a partner org, a role is within reach when the user holds it (or one above it).
within_reach(user: User, role: String, org: Organization) if
  role != "" and
  not org.is_vendor and
  has_role(user, role, org);
# In the vendor org, only its admins hand out roles, and they may hand out any.
within_reach(user: User, role: String, org: Organization) if
  role != "" and
  org.is_vendor and
  has_role(user, "admin", org);

# Invitations: nothing is granted until the invited person accepts, signed in as the
# invited account (who may invite whom is the "apply" rule above, for a new member).
# Vendor staff never join a partner organization, whoever invites them; invitations
# to the vendor org come from its admins, who hand out any role there.
resource Invitation {
  permissions = ["accept"];
}

has_permission(user: User, "accept", invitation: Invitation) if
  user.active and
  not invitation.org.is_vendor and
  user.vendor_role = "";
has_permission(user: User, "accept", invitation: Invitation) if
  user.active and
  invitation.org.is_vendor;

# Out of office: the vendor's staff hand their approvals to a vendor colleague for a
# few days (who the colleague may be is checked when the delegation is made); only
# the one who delegated ends it.
resource Delegation {
  permissions = ["delegate_approvals", "revoke_delegation"];
}

has_permission(user: User, "delegate_approvals", delegation: Delegation) if
  user.active and
  user.vendor_role != "" and
  delegation.delegator_id = user.id;
has_permission(user: User, "revoke_delegation", delegation: Delegation) if
  user.active and
  delegation.delegator_id = user.id;

# Requests. request.step_decider names who decides the current step
# ("account_manager" or a vendor role; "" when no step is current), and
# request.other_deciders lists everyone who decided, or was represented in, an
# earlier step of the current round.
resource Request {
  permissions = ["read", "edit", "submit", "withdraw", "decide"];
}

# Whoever reads the organization reads its requests; the requester reads their own,
# and whoever may decide the current step (a delegate, say) reads it too.
has_permission(user: User, "read", request: Request) if
  has_permission(user, "read", request.org);
has_permission(user: User, "read", request: Request) if
  user.active and user.id = request.requester_id;
has_permission(user: User, "read", request: Request) if
  has_permission(user, "decide", request);

# Drafts, and requests sent back for changes, are edited and submitted by their
# requester or by the partner org's admins; the same people may withdraw an open one.
has_permission(user: User, "edit", request: Request) if
  request.status in ["draft", "changes_requested"] and
  changes_request(user, request);
has_permission(user: User, "submit", request: Request) if
  request.status in ["draft", "changes_requested"] and
  changes_request(user, request);
has_permission(user: User, "withdraw", request: Request) if
  request.status in ["in_review", "changes_requested"] and
  changes_request(user, request);

changes_request(user: User, request: Request) if
  user.id = request.requester_id and
  "member" in user.partner_roles_on(request.org.id);
changes_request(user: User, request: Request) if
  "admin" in user.partner_roles_on(request.org.id);

# Deciding the current step: only someone eligible for it, never the requester
# (maker-checker), never someone who decided an earlier step of this round. A delegate
# decides on behalf of an approver who is eligible, and both must pass those rules.
has_permission(user: User, "decide", request: Request) if
  request.status = "in_review" and
  user.id != request.requester_id and
  not user.id in request.other_deciders and
  eligible(user, request);

has_permission(user: User, "decide", request: Request) if
  request.status = "in_review" and
  user.active and
  user.id != request.requester_id and
  not user.id in request.other_deciders and
  principal in user.delegators and
  principal.id != request.requester_id and
  not principal.id in request.other_deciders and
  eligible(principal, request);

eligible(user: User, request: Request) if
  request.step_decider = "account_manager" and
  has_role(user, "account_manager", request.org);
eligible(user: User, request: Request) if
  request.step_decider != "account_manager" and
  request.step_decider != "" and
  user.active and
  user.vendor_role = request.step_decider;

# Reports. Every report is scoped in SQL to the organizations the user may read; the
# policy says who may open it and who may download it. Downloading is its own
# permission: viewers read the pages but do not take the data away.
resource Report {
  permissions = ["view", "export"];
}

has_permission(user: User, "view", report: Report) if
  report.name in ["pipeline", "approvals", "mdf", "partners"] and
  user.active and
  (user.vendor_role != "" or user.partner_role != "");

# The access review is for administrators: the vendor's, over every organization, and
# partner admins over their own organizations (the rows are limited to the
# organizations whose members they manage).
has_permission(user: User, "view", report: Report) if
  report.name = "access" and
  user.active and
  (user.vendor_role = "admin" or user.partner_role = "admin");

# The audit log is for the vendor's admins alone, to read and to download.
has_permission(user: User, "view", report: Report) if
  report.name = "audit" and
  user.active and
  user.vendor_role = "admin";

has_permission(user: User, "export", report: Report) if
  not report.name in ["audit", "access"] and
  has_permission(user, "view", report) and
  (user.vendor_role in ["admin", "finance", "channel_manager"] or user.partner_role in ["member", "admin"]);

has_permission(user: User, "export", report: Report) if
  report.name in ["audit", "access"] and
  has_permission(user, "view", report);

allow(actor, action, resource) if
  has_permission(actor, action, resource);
