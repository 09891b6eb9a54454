// Portier on Azure: App Service (Linux, Node 20) + user-assigned managed identity + Azure Bot (Teams channel)
// + Key Vault for secrets + optional Azure Database for PostgreSQL flexible server.
// Deployed by `arm/deploy` in teamsapp.yml with infra/azure.parameters.json; every output is written to
// env/.env.<environment> (https://aka.ms/teamsfx-actions/arm-deploy).
// The web app gets one app setting per variable of bot/config.ts (README "Configuration"), except PORT (App Service
// sets it for Node apps) and HOST (the server binds 0.0.0.0 outside dev mode), plus App Service's own settings.

@minLength(4)
@maxLength(20)
@description('Base of every resource name (web app, plan, identity, bot, database server). Letters and digits.')
param resourceBaseName string

param location string = resourceGroup().location

@allowed(['B1', 'B2', 'B3', 'S1', 'S2', 'S3', 'P0v3', 'P1v3', 'P2v3', 'P3v3'])
@description('App Service plan size (Basic or higher: Always On and health checks need it).')
param webAppSku string = 'B1'

@maxLength(42)
param botDisplayName string

@description('Store data in Azure Database for PostgreSQL (several instances allowed) instead of SQLite on the app\'s /home share (one instance).')
param usePostgres bool = false

@minValue(1)
@maxValue(30)
@description('Number of web app instances; applies only with usePostgres (SQLite allows exactly one).')
param instanceCount int = 1

@secure()
@description('PostgreSQL administrator password. The default is a new random value on every deployment; the DATABASE-URL secret and the app setting follow it.')
param postgresAdminPassword string = newGuid()

@description('Client id of the Entra app registration (aadApp/create).')
param aadAppClientId string

@description('Tenant of the Entra app registration (your home tenant).')
param aadAppTenantId string

@secure()
@description('Client secret of the Entra app registration; stored in Key Vault as AAD-APP-CLIENT-SECRET.')
param aadAppClientSecret string = ''

@allowed(['embedded', 'entra'])
param portierGraph string = 'embedded'

@allowed(['embedded', 'graph'])
param portierDirectory string = 'embedded'

@allowed(['demo', 'directory', 'none'])
param portierSeed string = 'none'

@allowed(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
param logLevel string = 'info'

@minValue(10)
param jobIntervalMs int = 1000

@description('Base of direct links; empty means https://<web app host name>. Set it when you add a custom domain.')
param publicUrl string = ''

var baseName = toLower(resourceBaseName)
var webAppName = baseName
var keyVaultName = 'kv-${uniqueString(resourceGroup().id, baseName)}'
// SQLite lives on one instance's view of /home; only PostgreSQL lets several instances share the data.
var effectiveInstanceCount = usePostgres ? instanceCount : 1
// PostgreSQL connections per instance (DATABASE_POOL_SIZE, and 5 more for reads): at most 20, and together within the
// 47 user connections of the default Standard_B1ms server up to 6 instances; more instances need a larger SKU.
var databasePoolSize = max(2, min(20, 45 / effectiveInstanceCount - 5))
var loginEndpoint = environment().authentication.loginEndpoint
// Built-in role "Key Vault Secrets User": read secret values (for Key Vault references).
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

// The bot's identity (Azure Bot, msaAppType UserAssignedMSI) and the web app's identity for Key Vault references.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${baseName}-identity'
  location: location
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
  }
}

resource keyVaultSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, identity.id, keyVaultSecretsUserRoleId)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource aadAppClientSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(aadAppClientSecret)) {
  parent: keyVault
  name: 'AAD-APP-CLIENT-SECRET'
  properties: {
    value: aadAppClientSecret
    contentType: 'text/plain'
  }
}

module postgres './postgres.bicep' = if (usePostgres) {
  name: 'portier-postgres'
  params: {
    serverName: '${baseName}-pg'
    location: location
    administratorLoginPassword: postgresAdminPassword
    keyVaultName: keyVault.name
  }
}

resource serverfarm 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${baseName}-plan'
  location: location
  kind: 'linux'
  sku: {
    name: webAppSku
    capacity: effectiveInstanceCount
  }
  properties: {
    reserved: true // Linux
  }
}

resource webApp 'Microsoft.Web/sites@2023-12-01' = {
  name: webAppName
  location: location
  kind: 'app,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: serverfarm.id
    httpsOnly: true
    // Key Vault references resolve with the user-assigned identity (the app has no system-assigned one).
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      linuxFxVersion: 'NODE|20-lts'
      appCommandLine: 'node dist/bot/index.js'
      alwaysOn: true
      healthCheckPath: '/healthz'
      http20Enabled: true
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
  }
}

// The app settings, as their own resource so that they can use the web app's host name.
resource appSettings 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: webApp
  name: 'appsettings'
  properties: {
    // App Service's own settings.
    SCM_DO_BUILD_DURING_DEPLOYMENT: 'true' // npm install + npm run build on Linux (better-sqlite3 is native)
    WEBSITES_ENABLE_APP_SERVICE_STORAGE: 'true' // /home persists across restarts (the SQLite file lives there)

    // Portier's configuration (bot/config.ts).
    DATABASE_URL: usePostgres ? '@Microsoft.KeyVault(SecretUri=${postgres.outputs.databaseUrlSecretUri})' : 'sqlite:/home/data/portier.db'
    DATABASE_POOL_SIZE: string(databasePoolSize)
    PORTIER_GRAPH: portierGraph
    PORTIER_DIRECTORY: portierDirectory
    PORTIER_SEED: portierSeed
    AUTH_MODE: 'entra'
    BOT_ID: identity.properties.clientId
    BOT_PASSWORD: '' // the bot authenticates with the managed identity
    BOT_TENANT_ID: identity.properties.tenantId
    BOT_MANAGED_IDENTITY_CLIENT_ID: identity.properties.clientId
    AAD_APP_CLIENT_ID: aadAppClientId
    AAD_APP_TENANT_ID: aadAppTenantId
    AAD_APP_CLIENT_SECRET: empty(aadAppClientSecret) ? '' : '@Microsoft.KeyVault(SecretUri=${aadAppClientSecretSecret.properties.secretUri})'
    AAD_APP_CERTIFICATE_PATH: '' // the client secret is used instead
    AAD_APP_ID_URI: 'api://${webApp.properties.defaultHostName}/${aadAppClientId}' // aad.manifest.json: api://<BOT_DOMAIN>/<client id>
    AAD_JWKS_URL: '${loginEndpoint}common/discovery/v2.0/keys'
    AAD_AUTHORITY_HOST: loginEndpoint
    PUBLIC_URL: empty(publicUrl) ? 'https://${webApp.properties.defaultHostName}' : publicUrl
    PORTIER_JOB_INTERVAL_MS: string(jobIntervalMs)
    LOG_LEVEL: logLevel
  }
  dependsOn: [
    keyVaultSecretsUser // Key Vault references need the role before the app reads them
  ]
}

// Registers the web app as a bot (identity: the managed identity) with the Teams channel.
module azureBotRegistration './botRegistration/azurebot.bicep' = {
  name: 'Azure-Bot-registration'
  params: {
    botServiceName: baseName
    botDisplayName: botDisplayName
    identityResourceId: identity.id
    identityClientId: identity.properties.clientId
    identityTenantId: identity.properties.tenantId
    botAppDomain: webApp.properties.defaultHostName
  }
}

// Written to env/.env.<environment> by arm/deploy.
output AZURE_APP_SERVICE_RESOURCE_ID string = webApp.id
output BOT_DOMAIN string = webApp.properties.defaultHostName
output BOT_ENDPOINT string = 'https://${webApp.properties.defaultHostName}'
output BOT_ID string = identity.properties.clientId
output BOT_TENANT_ID string = identity.properties.tenantId
output PUBLIC_URL string = empty(publicUrl) ? 'https://${webApp.properties.defaultHostName}' : publicUrl
output AZURE_KEY_VAULT_NAME string = keyVault.name
