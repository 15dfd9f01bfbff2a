from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from igny8.api import ReplaceSerializerMixin
from tenancy.models import Account, Site, User


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name", "credits"]


class UserSerializer(serializers.ModelSerializer):
    account = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "account", "role", "is_staff"]


@extend_schema_field(
    {
        "type": "string",
        "writeOnly": True,
        "minLength": 8,
        "maxLength": 128,
        "description": "At least 8 characters, not only digits, not a commonly used password.",
    }
)
class NewPasswordField(serializers.CharField):
    """A password being set; AUTH_PASSWORD_VALIDATORS judge it in the service."""

    def __init__(self, **kwargs):
        super().__init__(write_only=True, max_length=128, **kwargs)


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = NewPasswordField()
    account_name = serializers.CharField(max_length=200)


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, max_length=128)


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()


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
