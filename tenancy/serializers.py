from rest_framework import serializers

from igny8.api import ReplaceSerializerMixin
from tenancy.models import Account, Role, Site, User


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name", "credits"]


class UserSerializer(serializers.ModelSerializer):
    account = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "account", "role", "is_staff"]


def email_field():
    return serializers.EmailField(max_length=254)


def password_field():
    # Never trimmed, exactly like Django's login form, so " secret" is the same password everywhere.
    return serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)


def token_field():
    return serializers.CharField(max_length=4096)


class RegisterSerializer(serializers.Serializer):
    email = email_field()
    # The length AUTH_PASSWORD_VALIDATORS ask, stated here so that the schema shows it.
    password = serializers.CharField(
        write_only=True,
        min_length=8,
        max_length=128,
        trim_whitespace=False,
        help_text="At least 8 characters, not only digits, not a commonly used password.",
    )
    account_name = serializers.CharField(max_length=200)


class LoginSerializer(serializers.Serializer):
    email = email_field()
    password = password_field()


class RefreshSerializer(serializers.Serializer):
    refresh = token_field()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = password_field()
    new_password = password_field()


class TokenPairOnlySerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class AccountUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "role", "is_active", "date_joined"]
        read_only_fields = fields


class UserAddSerializer(serializers.Serializer):
    email = email_field()
    password = password_field()
    role = serializers.ChoiceField(choices=Role.choices, default=Role.EDITOR)


class UserUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)


class TokenPairSerializer(serializers.Serializer):
    user = UserSerializer()
    account = AccountSerializer(required=False)
    access = serializers.CharField()
    refresh = serializers.CharField()


class AccessTokenSerializer(serializers.Serializer):
    access = serializers.CharField()


class MeSerializer(serializers.Serializer):
    user = UserSerializer()
    account = AccountSerializer(allow_null=True)


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "domain", "is_active", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class SiteReplaceSerializer(ReplaceSerializerMixin, SiteSerializer):
    """A PUT of a site names every writable field."""
