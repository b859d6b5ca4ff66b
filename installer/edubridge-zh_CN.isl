; Simplified Chinese messages for EduBridge's set-up program. Saved as UTF-8 with a byte-order
; mark, which Inno Setup 6 reads as Unicode (tests/installer/test_windows_script.py checks it).
; Layered over compiler:Default.isl (edubridge.iss): the messages the wizard and the uninstaller
; show in our configuration are translated here; rare errors fall back to English.

[LangOptions]
LanguageName=简体中文
LanguageID=$0804
LanguageCodePage=936
DialogFontName=Microsoft YaHei UI
DialogFontSize=9
WelcomeFontName=Microsoft YaHei UI
WelcomeFontSize=12

[Messages]
SetupAppTitle=安装
SetupWindowTitle=安装 - %1
UninstallAppTitle=卸载
UninstallAppFullTitle=%1 卸载
InformationTitle=信息
ConfirmTitle=确认
ErrorTitle=错误
ButtonBack=< 上一步(&B)
ButtonNext=下一步(&N) >
ButtonInstall=安装(&I)
ButtonOK=确定
ButtonCancel=取消
ButtonYes=是(&Y)
ButtonYesToAll=全是(&A)
ButtonNo=否(&N)
ButtonNoToAll=全否(&O)
ButtonFinish=完成(&F)
ButtonBrowse=浏览(&B)...
ButtonWizardBrowse=浏览(&R)...
ButtonNewFolder=新建文件夹(&M)
ExitSetupTitle=退出安装
ExitSetupMessage=安装尚未完成。如果现在退出，程序将不会被安装。%n%n您可以以后再运行安装程序完成安装。%n%n确定退出安装吗？
WelcomeLabel1=欢迎安装 [name]
WelcomeLabel2=即将在您的电脑上安装 [name/ver]。%n%n安装只对当前用户有效，不需要管理员权限。建议在继续之前关闭其他程序。
WizardSelectDir=选择安装位置
SelectDirDesc=[name] 要安装到哪里？
SelectDirLabel3=安装程序将把 [name] 安装到下面的文件夹。
SelectDirBrowseLabel=点击“下一步”继续。如需选择其他文件夹，请点击“浏览”。
WizardSelectTasks=选择附加任务
SelectTasksDesc=需要执行哪些附加任务？
SelectTasksLabel2=请选择安装 [name] 时要执行的附加任务，然后点击“下一步”。
WizardReady=准备安装
ReadyLabel1=安装程序已准备好在您的电脑上安装 [name]。
ReadyLabel2a=点击“安装”继续；如需查看或更改设置，请点击“上一步”。
ReadyLabel2b=点击“安装”继续。
ReadyMemoDir=安装位置：
ReadyMemoTasks=附加任务：
WizardInstalling=正在安装
InstallingLabel=正在安装 [name]，请稍候……
FinishedHeadingLabel=[name] 安装完成
FinishedLabelNoIcons=[name] 已安装到您的电脑上。
FinishedLabel=[name] 已安装到您的电脑上。可以通过开始菜单或桌面上的快捷方式启动。
ClickFinish=点击“完成”退出安装程序。
StatusExtractFiles=正在复制文件……
StatusCreateIcons=正在创建快捷方式……
StatusCreateRegistryEntries=正在登记文件类型……
StatusSavingUninstall=正在保存卸载信息……
StatusRunProgram=正在完成安装……
StatusRollback=正在撤销更改……
ConfirmUninstall=确定要卸载 %1 吗？%n%n您的数据（%%LOCALAPPDATA%%\EduBridge 中的数据库和备份）不会被删除。
UninstallStatusLabel=正在卸载 %1，请稍候……
UninstalledAll=%1 已从您的电脑上卸载。您的数据仍保留在原处。
UninstalledMost=%1 已卸载。%n%n有些文件无法删除，可以手动删除。
WizardUninstalling=卸载状态
StatusUninstalling=正在卸载 %1……

[CustomMessages]
NameAndVersion=%1 版本 %2
AdditionalIcons=快捷方式：
CreateDesktopIcon=在桌面创建快捷方式(&D)
FileTypes=文件类型：
AssocFileExtension=用 %1 打开 %2 数据包(&A)
LaunchProgram=运行 %1
UninstallProgram=卸载 %1
