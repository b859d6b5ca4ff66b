; Inno Setup 6 script: the Chinese set-up program of EduBridge for Windows 10/11 (x64).
; Per-user install, no administrator rights; Start-menu and desktop shortcuts; .ebpkg data
; packages open in EduBridge (HKCU\Software\Classes); the uninstaller removes the program only:
; the clerk's data in %LOCALAPPDATA%\EduBridge (and the settings in HKCU\Software\EduBridge) stay.
;
; Build on Windows after the PyInstaller build (installer/README.md):
;   "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" installer\edubridge.iss
; → dist\EduBridge-<version>-setup.exe
; tests/installer/test_windows_script.py checks that AppVersion equals policy/version.py and that
; every file named here exists in the Linux build's layout.

#define AppVersion "0.1.0"
#define AppName "EduBridge 城乡教共体管理"
; The PyInstaller folder, found from this script's folder (ISCC may run from anywhere).
#define Dist AddBackslash(SourcePath) + "..\dist\edubridge-" + AppVersion

; The bundle must be the PyInstaller build of this version, with the Visual C++ runtime inside
; (edubridge.spec copies it from System32; OR-Tools and Qt need it, and a per-user set-up
; program cannot run the VC++ Redistributable's installer).
#if !FileExists(Dist + "\edubridge.exe")
  #error "No PyInstaller build in " + Dist + ": run pyinstaller installer\edubridge.spec first"
#endif
#if GetVersionNumbersString(Dist + "\edubridge.exe") != AppVersion + ".0"
  #error "edubridge.exe is not version " + AppVersion + ": rebuild it, or update AppVersion"
#endif
#if !FileExists(Dist + "\_internal\msvcp140.dll") || !FileExists(Dist + "\_internal\vcruntime140.dll") || !FileExists(Dist + "\_internal\vcruntime140_1.dll")
  #error "The Visual C++ runtime is missing from " + Dist + "\_internal"
#endif

[Setup]
AppId={{5C0E2B8A-7D4F-4E61-9B3A-2F8D6C1E0A57}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=EduBridge 项目组
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
PrivilegesRequired=lowest
DefaultDirName={userpf}\EduBridge
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
ChangesAssociations=yes
SetupIconFile=..\resources\icons\edubridge.ico
UninstallDisplayIcon={app}\edubridge.exe
UninstallDisplayName={#AppName}
WizardStyle=modern
ShowLanguageDialog=no
Compression=lzma2/max
SolidCompression=yes
OutputDir=..\dist
OutputBaseFilename=EduBridge-{#AppVersion}-setup

[Languages]
; Our own Simplified Chinese messages over Inno Setup's English defaults (ChineseSimplified.isl
; is not among the official translations of every Inno Setup 6 release).
Name: "zh_CN"; MessagesFile: "compiler:Default.isl,edubridge-zh_CN.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "ebpkg"; Description: "{cm:AssocFileExtension,{#AppName},.ebpkg}"; GroupDescription: "{cm:FileTypes}"

[Files]
Source: "{#Dist}\edubridge.exe"; DestDir: "{app}"; Flags: ignoreversion
Source: "{#Dist}\edubridge-cli.exe"; DestDir: "{app}"; Flags: ignoreversion
Source: "{#Dist}\_internal\*"; DestDir: "{app}\_internal"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\edubridge.exe"; WorkingDir: "{app}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\edubridge.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Registry]
; Per-user file association: HKCU\Software\Classes, no administrator rights needed.
Root: HKCU; Subkey: "Software\Classes\.ebpkg"; ValueType: string; ValueName: ""; ValueData: "EduBridge.Package"; Flags: uninsdeletevalue; Tasks: ebpkg
Root: HKCU; Subkey: "Software\Classes\.ebpkg\OpenWithProgids"; ValueType: string; ValueName: "EduBridge.Package"; ValueData: ""; Flags: uninsdeletevalue; Tasks: ebpkg
Root: HKCU; Subkey: "Software\Classes\EduBridge.Package"; ValueType: string; ValueName: ""; ValueData: "EduBridge 数据包"; Flags: uninsdeletekey; Tasks: ebpkg
Root: HKCU; Subkey: "Software\Classes\EduBridge.Package\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\edubridge.exe,0"; Tasks: ebpkg
Root: HKCU; Subkey: "Software\Classes\EduBridge.Package\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\edubridge.exe"" ""%1"""; Tasks: ebpkg

[Run]
Filename: "{app}\edubridge.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete]: the uninstaller removes only what it installed; %LOCALAPPDATA%\EduBridge
; (edubridge.db, its backups) is the clerk's and is never deleted.
