// Azure Bot registration for Portier with the Microsoft Teams channel. The bot's identity is a user-assigned
// managed identity (msaAppType UserAssignedMSI): multi-tenant bot registrations can no longer be created, and a
// managed identity needs no password. infra/azure.bicep deploys this module (see readme.md next to this file).

@maxLength(42)
@description('Name shown for the bot in the Azure portal and the Bot Framework.')
param botDisplayName string

@minLength(2)
@maxLength(64)
@description('Globally unique name of the Azure Bot resource.')
param botServiceName string

@allowed(['F0', 'S1'])
param botServiceSku string = 'F0'

@description('Resource id of the user-assigned managed identity the bot authenticates as.')
param identityResourceId string

@description('Client id of that identity: the bot\'s app id (BOT_ID).')
param identityClientId string

@description('Tenant of that identity (BOT_TENANT_ID).')
param identityTenantId string

@description('Host name of the server, e.g. portier123.azurewebsites.net; activities go to https://<host>/api/messages.')
param botAppDomain string

resource botService 'Microsoft.BotService/botServices@2022-09-15' = {
  name: botServiceName
  location: 'global'
  kind: 'azurebot'
  sku: {
    name: botServiceSku
  }
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${botAppDomain}/api/messages'
    msaAppType: 'UserAssignedMSI'
    msaAppId: identityClientId
    msaAppTenantId: identityTenantId
    msaAppMSIResourceId: identityResourceId
  }
}

// Connects the bot to Microsoft Teams.
resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: botService
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
  }
}

output botServiceId string = botService.id
output messagingEndpoint string = botService.properties.endpoint
