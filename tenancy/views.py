import math

from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.views import APIView

from igny8.api import success
from igny8.errors import ApplicationError
from igny8.schema import errors
from igny8.throttling import (
    AuthIPThrottle,
    LoginThrottle,
    PasswordThrottle,
    RegisterThrottle,
    UserRateThrottle,
)
from tenancy import services
from tenancy.errors import InvalidCredentials, InvalidToken, LastOwner, RoleNotAllowed
from tenancy.models import Role, Site, User
from tenancy.selectors import sites_for_user
from tenancy.serializers import (
    AccessTokenSerializer,
    AccountSerializer,
    AccountUserSerializer,
    LoginSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    RefreshSerializer,
    RegisterSerializer,
    SiteReplaceSerializer,
    SiteSerializer,
    TokenPairOnlySerializer,
    TokenPairSerializer,
    UserAddSerializer,
    UserSerializer,
    UserUpdateSerializer,
)


def _tokens(user) -> dict:
    return services.token_pair_issue(user=user)


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthIPThrottle, RegisterThrottle]

    @extend_schema(
        request=RegisterSerializer,
        responses={201: TokenPairSerializer},
        examples=[
            OpenApiExample(
                "Register",
                request_only=True,
                value={"email": "ana@example.com", "password": "a-long-passphrase", "account_name": "Ana's"},
            )
        ],
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, account = services.account_register(**serializer.validated_data)
        data = {
            "user": UserSerializer(user).data,
            "account": AccountSerializer(account).data,
            **_tokens(user),
        }
        return success(data, status_code=status.HTTP_201_CREATED)


class LoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthIPThrottle, LoginThrottle]

    @extend_schema(
        request=LoginSerializer,
        responses={200: TokenPairSerializer},
        extensions=errors(InvalidCredentials),
        examples=[
            OpenApiExample(
                "Log in",
                request_only=True,
                value={"email": "ana@example.com", "password": "a-long-passphrase"},
            ),
            OpenApiExample(
                "Tokens",
                response_only=True,
                value={
                    "user": {
                        "id": 7,
                        "email": "ana@example.com",
                        "account": 3,
                        "role": "owner",
                        "is_staff": False,
                    },
                    "access": "eyJhbGciOiJIUzI1NiJ9.access",
                    "refresh": "eyJhbGciOiJIUzI1NiJ9.refresh",
                },
            ),
        ],
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            email=serializer.validated_data["email"].lower(),
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise InvalidCredentials()
        return success({"user": UserSerializer(user).data, **_tokens(user)})


class RefreshView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthIPThrottle]

    @extend_schema(
        request=RefreshSerializer,
        responses={200: AccessTokenSerializer},
        extensions=errors((InvalidCredentials.status_code, "token_not_valid")),
    )
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return success({"access": services.token_refresh(refresh=serializer.validated_data["refresh"])})


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RefreshSerializer, responses={200: None}, extensions=errors(InvalidToken))
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.token_revoke(user=request.user, refresh=serializer.validated_data["refresh"])
        return success(None, message="Logged out")


class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [UserRateThrottle, PasswordThrottle]

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={200: TokenPairOnlySerializer},
        extensions=errors("wrong_password"),
    )
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = services.user_password_change(user=request.user, **serializer.validated_data)
        return success(tokens, message="Password changed; other sessions were signed out")


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        user = request.user
        account = AccountSerializer(user.account).data if user.account_id else None
        return success({"user": UserSerializer(user).data, "account": account})


@extend_schema_view(update=extend_schema(responses={200: SiteSerializer}))
class SiteViewSet(viewsets.ModelViewSet):
    queryset = Site.objects.none()
    serializer_class = SiteSerializer
    write_role = Role.ADMIN
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Site.objects.none()
        return sites_for_user(user=self.request.user).order_by("id")

    def get_serializer_class(self):
        return SiteReplaceSerializer if self.action == "update" else SiteSerializer

    def perform_create(self, serializer):
        account = self.request.user.account
        if account is None:
            raise ApplicationError("Staff users without an account cannot create sites here.")
        serializer.instance = services.site_create(account=account, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.site_delete(site=instance)

    def perform_update(self, serializer):
        serializer.instance = services.site_update(site=serializer.instance, **serializer.validated_data)


class AccountUserViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The users of the caller's account, managed by its owners and admins."""

    queryset = User.objects.none()
    serializer_class = AccountUserSerializer
    pagination_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    write_role = Role.ADMIN
    action_roles = {"list": Role.ADMIN, "retrieve": Role.ADMIN}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or self.request.user.account_id is None:
            return User.objects.none()
        return User.objects.filter(account_id=self.request.user.account_id).order_by("id")

    @extend_schema(
        request=UserAddSerializer, responses={201: AccountUserSerializer}, extensions=errors(RoleNotAllowed)
    )
    def create(self, request):
        if request.user.account_id is None:
            raise ApplicationError("Staff users without an account cannot add users here.")
        serializer = UserAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_add(actor=request.user, **serializer.validated_data)
        return success(AccountUserSerializer(user).data, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=UserUpdateSerializer,
        responses={200: AccountUserSerializer},
        extensions=errors(RoleNotAllowed, LastOwner),
    )
    def partial_update(self, request, pk=None):
        serializer = UserUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(actor=request.user, user=self.get_object(), **serializer.validated_data)
        return success(AccountUserSerializer(user).data)

    @extend_schema(
        request=None, responses={200: AccountUserSerializer}, extensions=errors(RoleNotAllowed, LastOwner)
    )
    def destroy(self, request, pk=None):
        user = services.user_update(actor=request.user, user=self.get_object(), is_active=False)
        return success(AccountUserSerializer(user).data, message="User deactivated")


class DashboardLoginForm(AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages, "invalid_login": "Email or password is incorrect."}


class DashboardLoginView(auth_views.LoginView):
    """Django's login page under the same login throttles as the API's login."""

    authentication_form = DashboardLoginForm
    throttle_classes = [AuthIPThrottle, LoginThrottle]

    def post(self, request, *args, **kwargs):
        refused = [
            throttle
            for throttle in (cls() for cls in self.throttle_classes)
            if not throttle.allow_request(request, self)
        ]
        if not refused:
            return super().post(request, *args, **kwargs)
        wait = max(throttle.wait() or 0 for throttle in refused)
        form = self.get_form()
        form.add_error(None, f"Too many login attempts. Try again in {math.ceil(wait)} seconds.")
        response = self.form_invalid(form)
        response.status_code = status.HTTP_429_TOO_MANY_REQUESTS
        response["Retry-After"] = str(math.ceil(wait))
        return response
