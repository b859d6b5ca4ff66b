"""Initial schema: the whole domain model of DESIGN.md.

Why: the first release creates every table at once; later changes get their own revision.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 20:18:00.051848
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=36), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_entity_id'), ['entity_id'], unique=False)

    op.create_table('exchange_plan',
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'approved', name='plan_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('profile_id', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('approved_by', sa.String(length=64), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_plan'))
    )
    with op.batch_alter_table('exchange_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_plan_school_year'), ['school_year'], unique=False)

    op.create_table('region',
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Enum('市', '县区', name='region_level', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('profile_id', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['region.id'], name=op.f('fk_region_parent_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_region')),
    sa.UniqueConstraint('code', name=op.f('uq_region_code'))
    )
    op.create_table('setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    op.create_table('teacher',
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('gender', sa.Enum('男', '女', name='teacher_gender', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('subject', sa.String(length=32), nullable=True),
    sa.Column('title', sa.String(length=32), nullable=True),
    sa.Column('backbone_level', sa.String(length=32), nullable=True),
    sa.Column('position', sa.Enum('教师', '校长', '副校长', name='teacher_position', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('started_teaching', sa.Date(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teacher')),
    sa.UniqueConstraint('id_number', name=op.f('uq_teacher_id_number'))
    )
    with op.batch_alter_table('teacher', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teacher_name'), ['name'], unique=False)

    op.create_table('visit_school_tally',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('semester', sa.String(length=8), nullable=False),
    sa.Column('home_school_id', sa.Uuid(), nullable=False),
    sa.Column('host_school_id', sa.Uuid(), nullable=False),
    sa.Column('activities', sa.Integer(), nullable=False),
    sa.Column('lessons', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_school_tally'))
    )
    with op.batch_alter_table('visit_school_tally', schema=None) as batch_op:
        batch_op.create_index('ix_visit_school_tally_semester', ['semester', 'rule'], unique=False)

    op.create_table('visit_tally',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('semester', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('home_school_id', sa.Uuid(), nullable=True),
    sa.Column('teacher_id', sa.Uuid(), nullable=True),
    sa.Column('host_school_id', sa.Uuid(), nullable=True),
    sa.Column('activity_type', sa.String(length=16), nullable=True),
    sa.Column('activities', sa.Integer(), nullable=False),
    sa.Column('lessons', sa.Integer(), nullable=False),
    sa.Column('first_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_tally'))
    )
    with op.batch_alter_table('visit_tally', schema=None) as batch_op:
        batch_op.create_index('ix_visit_tally_semester_name', ['semester', 'name'], unique=False)

    op.create_table('visit_tally_period',
    sa.Column('semester', sa.String(length=8), nullable=False),
    sa.Column('first_on', sa.Date(), nullable=False),
    sa.Column('last_on', sa.Date(), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('visit_rows', sa.Integer(), nullable=False),
    sa.Column('participant_rows', sa.Integer(), nullable=False),
    sa.Column('visit_changed_at', sa.DateTime(), nullable=True),
    sa.Column('participant_changed_at', sa.DateTime(), nullable=True),
    sa.Column('built_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('semester', name=op.f('pk_visit_tally_period'))
    )
    op.create_table('waiver',
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('subject_kind', sa.Enum('cluster', 'school', name='waiver_subject', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('approver', sa.String(length=64), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waiver'))
    )
    with op.batch_alter_table('waiver', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waiver_subject_id'), ['subject_id'], unique=False)

    op.create_table('exemption',
    sa.Column('teacher_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Enum('孕期', '哺乳期', '患病', '距退休不足规定年限', '特色项目领衔教师', '其他', name='exemption_reason', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['teacher_id'], ['teacher.id'], name=op.f('fk_exemption_teacher_id_teacher'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exemption'))
    )
    with op.batch_alter_table('exemption', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exemption_teacher_id'), ['teacher_id'], unique=False)

    op.create_table('school',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('stage', sa.Enum('小学', '初中', '九年一贯制', '十二年一贯制', '教学点', name='school_stage', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('location', sa.Enum('城区', '镇区', '乡村', name='school_location', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('run_by', sa.Enum('市属', '县属', name='school_run_by', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('region_id', sa.Uuid(), nullable=False),
    sa.Column('legal_entity', sa.String(length=128), nullable=True),
    sa.Column('central_school_id', sa.Uuid(), nullable=True),
    sa.Column('students', sa.Integer(), nullable=False),
    sa.Column('classes', sa.Integer(), nullable=False),
    sa.Column('land_area', sa.Float(), nullable=True),
    sa.Column('is_weak', sa.Boolean(), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('classes >= 0', name=op.f('ck_school_classes_non_negative')),
    sa.CheckConstraint('land_area IS NULL OR land_area >= 0', name=op.f('ck_school_land_non_negative')),
    sa.CheckConstraint('students >= 0', name=op.f('ck_school_students_non_negative')),
    sa.ForeignKeyConstraint(['central_school_id'], ['school.id'], name=op.f('fk_school_central_school_id_school')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_school_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school')),
    sa.UniqueConstraint('code', name=op.f('uq_school_code'))
    )
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_region_id'), ['region_id'], unique=False)

    op.create_table('app_user',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.Enum('admin', 'clerk', 'principal', 'viewer', name='user_role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('school_id', sa.Uuid(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_app_user_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_table('cluster',
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.Enum('教育集团', '学区', '融合型教共体', '共建型教共体', '协作型教共体', name='cluster_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('area', sa.String(length=64), nullable=True),
    sa.Column('region_id', sa.Uuid(), nullable=False),
    sa.Column('lead_school_id', sa.Uuid(), nullable=True),
    sa.Column('founded', sa.Date(), nullable=True),
    sa.Column('dissolved', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lead_school_id'], ['school.id'], name=op.f('fk_cluster_lead_school_id_school')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_cluster_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cluster')),
    sa.UniqueConstraint('name', name=op.f('uq_cluster_name'))
    )
    with op.batch_alter_table('cluster', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cluster_region_id'), ['region_id'], unique=False)

    op.create_table('exchange',
    sa.Column('plan_id', sa.Uuid(), nullable=True),
    sa.Column('teacher_id', sa.Uuid(), nullable=False),
    sa.Column('from_school_id', sa.Uuid(), nullable=False),
    sa.Column('to_school_id', sa.Uuid(), nullable=False),
    sa.Column('form', sa.Enum('轮岗', '柔性流动', '走教', '支教', '挂职', '跟岗', name='exchange_form', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('moves_personnel', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('planned', 'approved', 'in_progress', 'done', 'cancelled', name='exchange_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['from_school_id'], ['school.id'], name=op.f('fk_exchange_from_school_id_school')),
    sa.ForeignKeyConstraint(['plan_id'], ['exchange_plan.id'], name=op.f('fk_exchange_plan_id_exchange_plan')),
    sa.ForeignKeyConstraint(['teacher_id'], ['teacher.id'], name=op.f('fk_exchange_teacher_id_teacher')),
    sa.ForeignKeyConstraint(['to_school_id'], ['school.id'], name=op.f('fk_exchange_to_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange'))
    )
    with op.batch_alter_table('exchange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_school_year'), ['school_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_teacher_id'), ['teacher_id'], unique=False)

    op.create_table('quality_indicator',
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_quality_indicator_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_indicator')),
    sa.UniqueConstraint('school_id', 'school_year', 'indicator', name='school_year_indicator')
    )
    op.create_table('subject_need',
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=32), nullable=False),
    sa.Column('slots', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_subject_need_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_need')),
    sa.UniqueConstraint('school_id', 'school_year', 'subject', name='school_year_subject')
    )
    op.create_table('visit',
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('host_school_id', sa.Uuid(), nullable=False),
    sa.Column('activity_type', sa.Enum('听评课', '公开课', '专题研讨', '管理经验交流', '专题指导', '教研指导', '专题研究报告', '主题教研活动', '校园文化交流', '同步课堂', '送教', '其他', name='activity_type', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('lessons', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('entered_by', sa.String(length=64), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('lessons >= 0', name=op.f('ck_visit_lessons_non_negative')),
    sa.ForeignKeyConstraint(['host_school_id'], ['school.id'], name=op.f('fk_visit_host_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_date'), ['date'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_host_school_id'), ['host_school_id'], unique=False)
        batch_op.create_index('ix_visit_updated_at', ['updated_at'], unique=False)

    op.create_table('agreement',
    sa.Column('cluster_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=False),
    sa.Column('clauses', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('printed_version', sa.Integer(), nullable=True),
    sa.Column('printed_text', sa.JSON(), nullable=True),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['cluster.id'], name=op.f('fk_agreement_cluster_id_cluster')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement'))
    )
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_cluster_id'), ['cluster_id'], unique=False)

    op.create_table('evaluation',
    sa.Column('cluster_id', sa.Uuid(), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('value_added', sa.Float(), nullable=True),
    sa.Column('total', sa.Float(), nullable=True),
    sa.Column('grade', sa.String(length=16), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['cluster.id'], name=op.f('fk_evaluation_cluster_id_cluster')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation')),
    sa.UniqueConstraint('cluster_id', 'school_year', name='cluster_year')
    )
    op.create_table('membership',
    sa.Column('cluster_id', sa.Uuid(), nullable=False),
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.Enum('牵头校', '总校', '支援校', '片区长学校', '成员校', '受援校', name='membership_role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('joined', sa.Date(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('left_on IS NULL OR left_on >= joined', name=op.f('ck_membership_left_after_joined')),
    sa.ForeignKeyConstraint(['cluster_id'], ['cluster.id'], name=op.f('fk_membership_cluster_id_cluster')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_membership_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership'))
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_cluster_id'), ['cluster_id'], unique=False)
        batch_op.create_index('ix_membership_school_dates', ['school_id', 'joined'], unique=False)

    op.create_table('pairing',
    sa.Column('kind', sa.Enum('包片包抓', '手拉手', '局领导联系薄弱学校', '名师工作室结对乡村学校', '学科带头人结对乡村教师', '干部挂职蹲点', name='pairing_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('supporter_school_id', sa.Uuid(), nullable=True),
    sa.Column('supporter_teacher_id', sa.Uuid(), nullable=True),
    sa.Column('supporter_name', sa.String(length=64), nullable=True),
    sa.Column('cluster_id', sa.Uuid(), nullable=True),
    sa.Column('target_school_id', sa.Uuid(), nullable=True),
    sa.Column('target_teacher_id', sa.Uuid(), nullable=True),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['cluster.id'], name=op.f('fk_pairing_cluster_id_cluster')),
    sa.ForeignKeyConstraint(['supporter_school_id'], ['school.id'], name=op.f('fk_pairing_supporter_school_id_school')),
    sa.ForeignKeyConstraint(['supporter_teacher_id'], ['teacher.id'], name=op.f('fk_pairing_supporter_teacher_id_teacher')),
    sa.ForeignKeyConstraint(['target_school_id'], ['school.id'], name=op.f('fk_pairing_target_school_id_school')),
    sa.ForeignKeyConstraint(['target_teacher_id'], ['teacher.id'], name=op.f('fk_pairing_target_teacher_id_teacher')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pairing'))
    )
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pairing_cluster_id'), ['cluster_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairing_supporter_school_id'), ['supporter_school_id'], unique=False)

    op.create_table('posting',
    sa.Column('teacher_id', sa.Uuid(), nullable=False),
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('任职', '轮岗', '走教', '支教', '挂职', '跟岗', name='posting_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('holds_personnel', sa.Boolean(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('exchange_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('end_on IS NULL OR end_on >= start', name=op.f('ck_posting_end_after_start')),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchange.id'], name=op.f('fk_posting_exchange_id_exchange')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_posting_school_id_school')),
    sa.ForeignKeyConstraint(['teacher_id'], ['teacher.id'], name=op.f('fk_posting_teacher_id_teacher'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posting'))
    )
    with op.batch_alter_table('posting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posting_exchange_id'), ['exchange_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_posting_school_id'), ['school_id'], unique=False)
        batch_op.create_index('ix_posting_teacher_start', ['teacher_id', 'start'], unique=False)

    op.create_table('semester_summary',
    sa.Column('cluster_id', sa.Uuid(), nullable=False),
    sa.Column('semester', sa.String(length=8), nullable=False),
    sa.Column('attainment', sa.Text(), nullable=False),
    sa.Column('achievements', sa.Text(), nullable=False),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('next_steps', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['cluster.id'], name=op.f('fk_semester_summary_cluster_id_cluster')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_semester_summary')),
    sa.UniqueConstraint('cluster_id', 'semester', name='cluster_semester')
    )
    op.create_table('visit_participant',
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.Enum('校级干部', '名师工作室主持人', '学科带头人', '骨干教师', '市级教研员', '县级教研员', '片区长学校', '局领导', '机关干部', '教师', name='visitor_role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('home_school_id', sa.Uuid(), nullable=True),
    sa.Column('teacher_id', sa.Uuid(), nullable=True),
    sa.Column('lessons', sa.Integer(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['home_school_id'], ['school.id'], name=op.f('fk_visit_participant_home_school_id_school')),
    sa.ForeignKeyConstraint(['teacher_id'], ['teacher.id'], name=op.f('fk_visit_participant_teacher_id_teacher')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_participant_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_participant'))
    )
    with op.batch_alter_table('visit_participant', schema=None) as batch_op:
        batch_op.create_index('ix_visit_participant_name', ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_participant_teacher_id'), ['teacher_id'], unique=False)
        batch_op.create_index('ix_visit_participant_updated_at', ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_participant_visit_id'), ['visit_id'], unique=False)

    op.create_table('agreement_party',
    sa.Column('agreement_id', sa.Uuid(), nullable=False),
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('label', sa.String(length=8), nullable=False),
    sa.Column('signatory', sa.String(length=64), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_agreement_party_agreement_id_agreement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_agreement_party_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_party'))
    )
    with op.batch_alter_table('agreement_party', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_party_agreement_id'), ['agreement_id'], unique=False)

    op.create_table('attachment',
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('agreement_id', sa.Uuid(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('mime_type', sa.String(length=100), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_attachment_agreement_id_agreement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_attachment_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_visit_id'), ['visit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_visit_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('agreement_party', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_party_agreement_id'))

    op.drop_table('agreement_party')
    with op.batch_alter_table('visit_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_participant_visit_id'))
        batch_op.drop_index('ix_visit_participant_updated_at')
        batch_op.drop_index(batch_op.f('ix_visit_participant_teacher_id'))
        batch_op.drop_index('ix_visit_participant_name')

    op.drop_table('visit_participant')
    op.drop_table('semester_summary')
    with op.batch_alter_table('posting', schema=None) as batch_op:
        batch_op.drop_index('ix_posting_teacher_start')
        batch_op.drop_index(batch_op.f('ix_posting_school_id'))
        batch_op.drop_index(batch_op.f('ix_posting_exchange_id'))

    op.drop_table('posting')
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pairing_supporter_school_id'))
        batch_op.drop_index(batch_op.f('ix_pairing_cluster_id'))

    op.drop_table('pairing')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index('ix_membership_school_dates')
        batch_op.drop_index(batch_op.f('ix_membership_cluster_id'))

    op.drop_table('membership')
    op.drop_table('evaluation')
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_cluster_id'))

    op.drop_table('agreement')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_updated_at')
        batch_op.drop_index(batch_op.f('ix_visit_host_school_id'))
        batch_op.drop_index(batch_op.f('ix_visit_date'))

    op.drop_table('visit')
    op.drop_table('subject_need')
    op.drop_table('quality_indicator')
    with op.batch_alter_table('exchange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_teacher_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_school_year'))
        batch_op.drop_index(batch_op.f('ix_exchange_plan_id'))

    op.drop_table('exchange')
    with op.batch_alter_table('cluster', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cluster_region_id'))

    op.drop_table('cluster')
    op.drop_table('app_user')
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_region_id'))
        batch_op.drop_index(batch_op.f('ix_school_name'))

    op.drop_table('school')
    with op.batch_alter_table('exemption', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exemption_teacher_id'))

    op.drop_table('exemption')
    with op.batch_alter_table('waiver', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waiver_subject_id'))

    op.drop_table('waiver')
    op.drop_table('visit_tally_period')
    with op.batch_alter_table('visit_tally', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_tally_semester_name')

    op.drop_table('visit_tally')
    with op.batch_alter_table('visit_school_tally', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_school_tally_semester')

    op.drop_table('visit_school_tally')
    with op.batch_alter_table('teacher', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teacher_name'))

    op.drop_table('teacher')
    op.drop_table('setting')
    op.drop_table('region')
    with op.batch_alter_table('exchange_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_plan_school_year'))

    op.drop_table('exchange_plan')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_entity_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))

    op.drop_table('audit_entry')
