export { assess, DEFAULT_FRAMEWORK, type DoctorReport, type DoctorRow, type RowStatus } from './assess';
export { renderDoctor } from './render';
export { doctorLocal, doctorRemote, doctorSsh, type LocalDoctorOptions, type RemoteDoctorRequest, type SshDoctorOptions } from './run';
export { compareVersions, knownBadVersions, llamafactoryKnownBad, trlDpoKnownBad, trlKnownBad, type KnownBad } from './versions';
