from rest_framework.permissions import SAFE_METHODS, BasePermission

from tenancy.models import Role


class RolePermission(BasePermission):
    """Viewers read, editors and above write; a view may ask more for an action.

    A view sets `write_role` (default editor) and may map actions to roles in `action_roles`.
    Staff and superusers pass every check.
    """

    message = "Your role does not allow this action."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.is_staff or user.is_superuser:
            return True
        if user.account_id is None:
            return False
        action = getattr(view, "action", None)
        required = getattr(view, "action_roles", {}).get(action)
        if required is None:
            required = (
                Role.VIEWER if request.method in SAFE_METHODS else getattr(view, "write_role", Role.EDITOR)
            )
        return Role.rank(user.role) >= Role.rank(required)
