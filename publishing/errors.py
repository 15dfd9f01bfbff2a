from igny8.errors import ApplicationError


class NoDestination(ApplicationError):
    code = "no_destination"
    default_message = "The site has no publishing destination. Add one under publishing/destinations/."


class DestinationExists(ApplicationError):
    status_code = 409
    code = "destination_exists"
    default_message = "The site already has a publishing destination; change that one."


class NotPublishable(ApplicationError):
    code = "invalid_transition"
    default_message = "Only reviewed, approved or published articles can be published."
