"""A workspace's provider credentials, decrypted only at the moment a provider is called."""

from capacity_service.exceptions import UnprocessableEntity
from capacity_service.kit.secrets import SecretCipher
from capacity_service.models import Workspace
from capacity_service.providers.types import CalendlyCredentials, GhlCredentials


class MissingCredentials(UnprocessableEntity):
    """The workspace has no token for the provider it asks to use."""

    error = "provider_not_configured"


def ghl_credentials(workspace: Workspace, cipher: SecretCipher) -> GhlCredentials:
    if workspace.ghl_location_id is None or workspace.ghl_access_token_encrypted is None:
        raise MissingCredentials(
            "HighLevel is not configured for this workspace (ghlLocationId and ghlAccessToken)"
        )
    return GhlCredentials(
        location_id=workspace.ghl_location_id,
        access_token=cipher.decrypt(workspace.ghl_access_token_encrypted),
    )


def calendly_credentials(workspace: Workspace, cipher: SecretCipher) -> CalendlyCredentials:
    if workspace.calendly_access_token_encrypted is None:
        raise MissingCredentials(
            "Calendly is not configured for this workspace (calendlyAccessToken)"
        )
    return CalendlyCredentials(
        access_token=cipher.decrypt(workspace.calendly_access_token_encrypted),
        organization_uri=workspace.calendly_organization_uri,
    )
