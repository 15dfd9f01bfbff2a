from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.views import APIView

from billing import selectors
from billing.models import CreditTransaction
from billing.serializers import (
    BalanceSerializer,
    CreditTransactionSerializer,
    UsageQuerySerializer,
    UsageSerializer,
)
from igny8.api import success
from igny8.errors import ApplicationError
from igny8.schema import errors
from tenancy.selectors import site_get_for_user


def _account(request):
    if request.user.account_id is None:
        raise ApplicationError("This user has no account.", code="no_account")
    return request.user.account


class BalanceView(APIView):
    @extend_schema(responses={200: BalanceSerializer}, extensions=errors("no_account"))
    def get(self, request):
        return success({"credits": selectors.credits_balance(account_id=_account(request).pk)})


@extend_schema_view(get=extend_schema(extensions=errors("no_account")))
class TransactionListView(generics.ListAPIView):
    serializer_class = CreditTransactionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CreditTransaction.objects.none()
        return selectors.transactions_for_account(account=_account(self.request))


class UsageView(APIView):
    @extend_schema(
        parameters=[UsageQuerySerializer], responses={200: UsageSerializer}, extensions=errors("no_account")
    )
    def get(self, request):
        query = UsageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        site = None
        if "site_id" in query.validated_data:
            site = site_get_for_user(user=request.user, site_id=query.validated_data["site_id"])
        account = site.account if site is not None else _account(request)
        usage = selectors.usage_by_operation(
            account=account, site=site, since=query.validated_data.get("since")
        )
        return success(UsageSerializer(usage).data)
