# Partner Portal: who may do what.
#
# Three layers, all in this file:
#   1. roles per organization, inherited down the partner hierarchy;
#   2. relationships (account manager of a partner);
#   3. conditions on state (active users and orgs, no self-service, no escalation).
#
# The application resolves these facts once per request and hands them in:
#   user.active            the account is active
#   user.vendor_role       the user's role in the vendor org ("" if none)
#   user.role_in(org_id)   the user's membership role in that org ("" if none)
#   user.manages(org_id)   the user is that org's assigned account manager
#   org.lineage            the org's id, then its parent's, grandparent's, ...
#   org.active_lineage     the lineage up to, not including, the first suspended org
#                          (empty when the org itself is suspended)

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
  permissions = ["read", "manage_members", "create_partner", "set_status"];

  "member" if "admin";
  "viewer" if "member";
  "viewer" if "staff";
  "viewer" if "channel_manager";
  "viewer" if "finance";
  "viewer" if "account_manager";

  "read" if "viewer";
  "manage_members" if "admin";
}

# Layer 1: a membership role holds in its org and in every org beneath it, never
# above it. Roles do not flow through a suspended org.
has_role(user: User, role: String, org: Organization) if
  user.active and
  holder in org.active_lineage and
  user.role_in(holder) = role;

# The vendor's admins administer every organization; finance reads every one.
has_role(user: User, "admin", _org: Organization) if
  user.active and user.vendor_role = "admin";
has_role(user: User, "viewer", _org: Organization) if
  user.active and user.vendor_role = "finance";

# Layer 2: a channel manager assigned to a partner is its account manager, and that
# of every org beneath it (managing a distributor covers its resellers). The vendor
# keeps sight of suspended partners, so this follows the whole lineage.
has_role(user: User, "account_manager", org: Organization) if
  user.active and
  user.vendor_role = "channel_manager" and
  holder in org.lineage and
  user.manages(holder);

# Only the vendor's admins create partner organizations.
has_permission(user: User, "create_partner", org: Organization) if
  org.is_vendor and has_role(user, "admin", org);

# Only the vendor's admins suspend and reactivate partners; the vendor itself is never
# suspended.
has_permission(user: User, "set_status", org: Organization) if
  not org.is_vendor and has_role(user, "admin", org) and user.vendor_role = "admin";

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

# Layer 3: changing someone's role. Nobody changes their own role, and nobody grants
# or takes away a role above their own.
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

allow(actor, action, resource) if
  has_permission(actor, action, resource);
