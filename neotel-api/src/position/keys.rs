//! The keys the accessors read, each with a slot that the parse fills on its one pass, so
//! no accessor searches the items.

/// `Variant => "KEY",`: the table of known keys, written once for both directions.
macro_rules! keys {
    ($($variant:ident => $name:literal,)+) => {
        /// A key the accessors read (its wire name is [`Key::name`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(super) enum Key {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )+
        }

        impl Key {
            /// How many keys there are (the slots of a `Position`).
            pub(super) const COUNT: usize = [$(Self::$variant),+].len();

            /// Every key, in slot order.
            #[cfg(test)]
            pub(super) const ALL: [Self; Self::COUNT] = [$(Self::$variant),+];

            /// The known key of that exact name.
            pub(super) fn of(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// The wire name.
            pub(super) const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }
        }
    };
}

keys! {
    Device => "DEVICE",
    Ip => "IP",
    Port => "PORT",
    Status => "STATUS",
    Server => "SERVER",
    User => "USUARIO",
    Login => "INICIO_LOGIN",
    LoginOlder => "TIEMPO_LOGIN",
    OutboundCampaign => "SAL_CAMPAÑA_DEFAULT",
    OutboundCampaignFolded => "SAL_CAMPANA_DEFAULT",
    CampaignLogin => "INICIO_LOGIN_CAMPAÑA",
    CampaignLoginFolded => "INICIO_LOGIN_CAMPANA",
    Channel => "CHANNEL",
    SubState => "SUB_ESTADO",
    Ringing => "RINGING",
    Dialing => "DIALING",
    Agent => "AGENT",
    CallState => "TIEMPO_LLAMADA",
    BreakSubtype => "SUBTIPO_DESCANSO",
    BreakStart => "INICIO_DESCANSO",
    BreakTime => "TIEMPO_DESCANSO",
    CrmState => "ESTADO_CRM",
    CrmStart => "INICIO_CRM",
    Campaign => "CAMPAÑA",
    CampaignFolded => "CAMPANA",
    CampaignLast => "CAMPAÑA_ULT",
    CampaignLastFolded => "CAMPANA_ULT",
    Queue => "COLA",
    QueueLast => "COLA_ULT",
    Dnis => "DNIS",
    Ani => "ANI",
    Phone => "TELEFONO",
    PhoneLast => "ANI_TELEFONO_ULT",
    CallType => "TIPO_LLAMADA",
    Origin => "ORIGEN_LLAMADA",
    Direction => "DIRECCION",
    Crm => "CRM",
    Base => "BASE",
    ContactId => "IDCONTACTO",
    Data => "DATA",
    Clave => "CLAVE",
    ScheduleId => "IDAGENDA",
    CallId => "IDLLAMADA",
    CallIdLast => "IDLLAMADA_ULT",
    Conference => "CONFERENCIA",
    Recording => "GRABANDO",
    RecordingFile => "GRABACION",
    DialerType => "SAL_TIPO_DISCADOR",
    OutboundCrm => "SAL_CRM",
    OutboundBase => "SAL_BASE",
    Channels => "CANALES_ASOCIADOS",
}

impl Key {
    /// The `N` spelling of a key with `Ñ` (some installs and proxies fold it), read when
    /// the `Ñ` spelling is absent.
    pub(super) const fn folded(self) -> Option<Self> {
        match self {
            Self::OutboundCampaign => Some(Self::OutboundCampaignFolded),
            Self::CampaignLogin => Some(Self::CampaignLoginFolded),
            Self::Campaign => Some(Self::CampaignFolded),
            Self::CampaignLast => Some(Self::CampaignLastFolded),
            _ => None,
        }
    }
}
